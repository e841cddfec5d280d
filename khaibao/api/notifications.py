"""The signed-in account's notifications: inbox, mark read, channel preferences, Web Push.

Any signed-in account has an inbox (citizens mostly; staff may be notified too). Only the
account's own notifications are reachable: another account's id answers 404, like a missing one.
The inbox is keyset-paginated newest first: pass `next_before` back as `before`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from khaibao.accounts.models import Account
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut, StrictSchema
from khaibao.core.http import client_ip
from khaibao.core.params import ID_MAX
from khaibao.notifications import inbox, preferences, selectors
from khaibao.notifications.channels import webpush_configured
from khaibao.notifications.labels import notification_kind_label
from khaibao.notifications.models import ChannelPreference, Notification
from khaibao.notifications.preferences import PreferenceChanges

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., description="the kind in words, in the request's language")
    title: str
    body: str
    link: str
    person_id: int | None
    created_at: datetime
    read: bool
    read_at: datetime | None


class InboxOut(Schema):
    items: list[NotificationOut]
    unread: int
    next_before: int | None


class InboxQuery(Schema):
    before: int | None = Field(default=None, ge=1, le=ID_MAX)
    limit: int = Field(default=20, ge=1, le=selectors.INBOX_PAGE_MAX)


class ReadAllOut(Schema):
    marked: int
    unread: int


class PreferencesOut(Schema):
    sms: bool
    email: bool
    email_address: str
    webpush: bool
    language: str
    daily_reminder: bool
    webpush_available: bool


class PreferencesIn(StrictSchema):
    """Fields left out keep their value. E-mail can only be on with an address."""

    sms: bool | None = None
    email: bool | None = None
    email_address: str | None = Field(default=None, max_length=254)
    webpush: bool | None = None
    language: Literal["vi", "en"] | None = None
    daily_reminder: bool | None = None


class PushKeys(StrictSchema):
    p256dh: str = Field(min_length=1, max_length=200)
    auth: str = Field(min_length=1, max_length=100)


class WebPushSubscriptionIn(StrictSchema):
    """The browser's `PushSubscription.toJSON()` as it is."""

    endpoint: str = Field(min_length=1, max_length=1000)
    keys: PushKeys
    expirationTime: int | None = None  # the Push API's own name


class WebPushSubscriptionOut(Schema):
    id: int
    endpoint: str


class VapidKeyOut(Schema):
    enabled: bool
    public_key: str | None


def _notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk, "kind": n.kind, "kind_label": notification_kind_label(n.kind), "title": n.title, "body": n.body, "link": n.link,
        "person_id": n.person_id, "created_at": n.created_at, "read": n.read_at is not None, "read_at": n.read_at,
    }


def _preferences_out(pref: ChannelPreference) -> dict[str, Any]:
    return {
        "sms": pref.sms, "email": pref.email, "email_address": pref.email_address, "webpush": pref.webpush,
        "language": pref.language, "daily_reminder": pref.daily_reminder, "webpush_available": webpush_configured(),
    }


def _account(request: AuthedRequest) -> Account:
    return request.auth


@router.get("", response=InboxOut)
def notifications_list(request: AuthedRequest, query: Query[InboxQuery]) -> dict[str, Any]:
    """Your notifications, newest first, with the unread count."""
    account = _account(request)
    page = selectors.inbox_page(account, before=query.before, limit=query.limit)
    return {
        "items": [_notification_out(n) for n in page.items],
        "unread": selectors.unread_count(account),
        "next_before": page.next_before,
    }


@router.post("/{notification_id}/read", response={200: NotificationOut, 404: ErrorOut})
def notification_read(request: AuthedRequest, notification_id: int) -> dict[str, Any]:
    account = _account(request)
    notification = selectors.notification_for_account(account, notification_id)
    return _notification_out(inbox.notification_mark_read(actor=account, notification=notification))


@router.post("/read-all", response=ReadAllOut)
def notifications_read_all(request: AuthedRequest) -> dict[str, Any]:
    account = _account(request)
    marked = inbox.notifications_mark_all_read(actor=account)
    return {"marked": marked, "unread": selectors.unread_count(account)}


@router.get("/preferences", response=PreferencesOut)
def preferences_get(request: AuthedRequest) -> dict[str, Any]:
    return _preferences_out(preferences.preference_for(_account(request)))


@router.put("/preferences", response={200: PreferencesOut, 400: ErrorOut})
def preferences_put(request: AuthedRequest, data: PreferencesIn) -> dict[str, Any]:
    # The schema's fields are the preferences' own names (PreferencesIn).
    changes = cast(PreferenceChanges, data.model_dump(exclude_none=True))
    pref = preferences.preferences_update(actor=_account(request), changes=changes, ip=client_ip(request))
    return _preferences_out(pref)


@router.post("/webpush-subscriptions", response={201: WebPushSubscriptionOut, 400: ErrorOut})
def webpush_subscribe(request: AuthedRequest, data: WebPushSubscriptionIn) -> Status[dict[str, Any]]:
    """Store this browser's push subscription (and turn Web Push on)."""
    subscription = preferences.webpush_subscription_save(
        actor=_account(request), endpoint=data.endpoint, p256dh=data.keys.p256dh, auth=data.keys.auth,
        ip=client_ip(request),
    )
    return Status(201, {"id": subscription.pk, "endpoint": subscription.endpoint})


@router.get("/vapid-public-key", response=VapidKeyOut, auth=None)
def vapid_public_key(request: HttpRequest) -> dict[str, Any]:
    """The server's VAPID public key for `pushManager.subscribe` (`enabled: false` when not configured)."""
    enabled = webpush_configured()
    return {"enabled": enabled, "public_key": settings.VAPID_PUBLIC_KEY if enabled else None}
