"""Every kind of notification has its words in one place (notifications/labels.py), keyed by the
sender's own code; the "My data" export takes them from there."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from khaibao.notifications import labels
from khaibao.notifications.services import KIND_DAILY_REMINDER, KIND_REPORT_REPLY
from khaibao.orgs.reminder_batches import KIND_CAMPAIGN_REMINDER
from khaibao.privacy import selectors as privacy_selectors
from khaibao.venues.exposure import WARNING_KIND as VENUE_EXPOSURE_KIND
from khaibao.zones.warnings import WARNING_KIND as ZONE_WARNING_KIND

SENDERS = [
    (KIND_DAILY_REMINDER, "Daily update reminder"),
    (KIND_REPORT_REPLY, "Reply to your report"),
    (KIND_CAMPAIGN_REMINDER, "A reminder from your organisation"),
    (ZONE_WARNING_KIND, "Epidemic zone warning"),
    (VENUE_EXPOSURE_KIND, "Warning about a place you checked in at"),
]


@pytest.mark.parametrize(("kind", "words"), SENDERS)
def test_each_senders_kind_has_its_words(kind: str, words: str) -> None:
    with translation.override("en"):
        assert labels.notification_kind_label(kind) == words


def test_the_senders_take_their_codes_from_the_labels() -> None:
    # One place writes each code: the senders import it, so a code and its words cannot part.
    assert (labels.KIND_CAMPAIGN_REMINDER, labels.KIND_ZONE_WARNING, labels.KIND_VENUE_EXPOSURE) == (
        KIND_CAMPAIGN_REMINDER, ZONE_WARNING_KIND, VENUE_EXPOSURE_KIND,
    )


def test_an_unknown_kind_is_shown_as_it_is() -> None:
    assert labels.notification_kind_label("something_new") == "something_new"


def test_the_export_has_no_words_of_its_own(world: Any) -> None:
    assert not hasattr(privacy_selectors, "_NOTIFICATION_KIND_LABELS")
    assert privacy_selectors.notification_kind_label is labels.notification_kind_label
    with translation.override("vi"):
        assert labels.notification_kind_label(ZONE_WARNING_KIND) != "Epidemic zone warning"
