"""The account's own inbox: marking notifications read (its reads are in selectors.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.core.errors import ServiceError
from khaibao.notifications.models import Notification


def notification_mark_read(*, actor: Account, notification: Notification) -> Notification:
    """Mark one of the actor's notifications read (no-op when it already is).

    The caller fetched `notification` through `selectors.notification_for_account` (404 for
    another account's). Not audited: the account's own inbox, no personal data involved.
    """
    if notification.account_id != actor.pk:  # defence in depth; callers already scoped it
        raise ServiceError(_("Not found."), code="not_found", status=404)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, actor: Account) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    return Notification.objects.filter(account=actor, read_at__isnull=True).update(read_at=timezone.now())
