"""The words of notifications: each kind of notification, and the daily-reminder switch.

A notification's `kind` is its sender's code, stored as it is; this module is the one place that
puts a kind into words (the "My data" export, `privacy.selectors`) and the one place the codes of
the senders above this app (organisations, zones, venues) are written: they import them from here
(the layers let them; this app may not import them, docs/architecture.md, "Layers").
"""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.notifications.services import KIND_CONTACT_INVITATION, KIND_DAILY_REMINDER, KIND_REPORT_REPLY

# The codes of the senders above this app: they take them from here (orgs.reminders,
# zones.warnings.WARNING_KIND, venues.exposure.WARNING_KIND), so each is written once.
KIND_CAMPAIGN_REMINDER = "campaign_reminder"
KIND_ZONE_WARNING = "zone_warning"
KIND_VENUE_EXPOSURE = "venue_exposure"

_KIND_LABELS: dict[str, Promise] = {
    KIND_DAILY_REMINDER: gettext_lazy("Daily update reminder"),
    KIND_REPORT_REPLY: gettext_lazy("Reply to your report"),
    KIND_CONTACT_INVITATION: gettext_lazy("Request from the health service to declare"),
    KIND_CAMPAIGN_REMINDER: gettext_lazy("A reminder from your organisation"),
    KIND_ZONE_WARNING: gettext_lazy("Epidemic zone warning"),
    KIND_VENUE_EXPOSURE: gettext_lazy("Warning about a place you checked in at"),
}


def notification_kind_label(kind: str) -> str:
    """The kind of a notification in words, in the active language; an unknown kind as it is,
    never hidden."""
    label = _KIND_LABELS.get(kind)
    return str(label) if label is not None else kind


def daily_reminder_switch_label() -> str:
    """The preference `daily_reminder` in words, in the active language: the hour the reminder
    is sent from (`DAILY_REMINDER_HOUR`, local time) and what it is — the daily update's
    reminder (`KIND_DAILY_REMINDER`), the only kind the switch stops (services.notify_account)."""
    return _("Remind me at %(hour)s:00 to send the daily update") % {"hour": settings.DAILY_REMINDER_HOUR}


def daily_reminder_switch_scope() -> str:
    """What the switch leaves alone: an organisation's campaign reminders are the organisation's
    (its reminder policy, docs/organisations.md), not the citizen's to turn off."""
    return _("Reminders from your organisation's campaigns are not affected by this switch.")
