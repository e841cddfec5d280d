"""Pieces of the daily update's answers built without Django's per-call work, answering as it does."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse, set_script_prefix
from django.utils import translation

from khaibao.api.daily_updates import _update_fields, pending_location
from khaibao.monitoring.models import DailyUpdate, Feeling


@pytest.mark.parametrize("prefix", ["/", "/khaibao/"])
def test_the_location_to_poll_is_what_reverse_gives(prefix):
    set_script_prefix(prefix)
    try:
        for person_id, day in [(1, date(2026, 12, 6)), (987654320, date(1999, 1, 31)), (42, date(2026, 2, 28))]:
            expected = reverse("api-v1:daily_update_get", kwargs={"person_id": person_id, "day": day})
            assert pending_location(person_id, day) == expected
            assert expected.startswith(prefix)
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("feeling", [*Feeling.values, None, "not-a-choice"])
def test_the_feeling_label_is_get_feeling_display(language, feeling):
    update = DailyUpdate(day=date(2026, 12, 6), symptoms=[], feeling=feeling)
    with translation.override(language):
        label = _update_fields(update)["feeling_label"]
        assert label == update.get_feeling_display()  # type: ignore[attr-defined]
        assert type(label) is type(update.get_feeling_display())  # type: ignore[attr-defined]
