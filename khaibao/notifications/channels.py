"""Sending one delivery on its channel: SMS (accounts.sms), e-mail (Django), Web Push (pywebpush).

Each sender raises `ChannelError`; `permanent=True` means retrying cannot help (no phone, no
address, no subscription, Web Push not configured) and the worker gives up at once.
What goes out is the notification's own title, body and link — nothing else about the person;
an SMS is fitted into `SMS_MAX_CHARS` by `accounts.sms.sms_fit` (`_sms_parts` says what gives way).
"""

from __future__ import annotations

import json
import logging
import re
import smtplib
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMessage

from khaibao.accounts.sms import SmsError, send_sms, sms_fit, sms_text
from khaibao.notifications.models import (
    Channel,
    ChannelPreference,
    Delivery,
    Notification,
    WebPushSubscription,
)
from khaibao.notifications.preferences import webpush_endpoint_allowed, webpush_subscriptions_forget

logger = logging.getLogger(__name__)


class ChannelError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def absolute_link(link: str) -> str:
    if not link:
        return ""
    return urljoin(settings.PUBLIC_BASE_URL + "/", link)


def send(delivery: Delivery) -> None:
    if delivery.channel == Channel.SMS:
        _send_sms(delivery)
    elif delivery.channel == Channel.EMAIL:
        _send_email(delivery)
    elif delivery.channel == Channel.WEBPUSH:
        _send_webpush(delivery)
    else:
        raise ChannelError(f"unknown channel {delivery.channel!r}", permanent=True)


def _send_sms(delivery: Delivery) -> None:
    notification = delivery.notification
    phone = notification.account.phone
    if not phone:
        raise ChannelError("the account has no phone number", permanent=True)
    try:
        send_sms(to=phone, body=sms_fit(**_sms_parts(notification)))
    except SmsError as exc:
        raise ChannelError(f"SMS backend: {exc}") from exc


# Where a body's last sentence starts: after ".", "!", "?" or "…" and white space.
_SENTENCE_START = re.compile(r"(?<=[.!?…])\s+(?=\S)")


def _sms_parts(notification: Notification) -> dict[str, str]:
    """What `sms_fit` may shorten and what it must keep, for the notification's SMS.

    The link always survives: for a feature phone it is the way to the rest. Warnings end their
    body with what to do ("open Khai Báo to see your risk level and what to do", zones.warnings,
    venues.exposure) after an official's free-text advice of any length, and the model keeps no
    such sentence apart: so the body's last sentence goes with the link when the two fill at
    most two thirds of an SMS (the rest is left to say what happened), and what gives way is
    the end of the text before it — the title first, then the advice.
    """
    title, body, link = notification.title, notification.body, absolute_link(notification.link)
    starts = list(_SENTENCE_START.finditer(body))
    if starts:
        last = starts[-1]
        tail = "\n".join(p for p in (body[last.end() :], link) if p)
        if 3 * len(sms_text(tail)) <= 2 * settings.SMS_MAX_CHARS:
            return {"title": title, "body": body[: last.start()], "tail": tail, "tail_sep": last.group()}
    return {"title": title, "body": body, "tail": link}


def _send_email(delivery: Delivery) -> None:
    notification = delivery.notification
    pref = ChannelPreference.objects.filter(account_id=notification.account_id).first()
    if pref is None or not pref.email or not pref.email_address:
        raise ChannelError("e-mail was turned off or has no address", permanent=True)
    link = absolute_link(notification.link)
    body = notification.body + (f"\n\n{link}" if link else "")
    message = EmailMessage(subject=notification.title, body=body, to=[pref.email_address])
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # SMTP, socket and backend errors alike are worth a retry
        raise ChannelError(f"e-mail backend: {_mail_failure(exc)}") from exc


def _mail_failure(exc: Exception) -> str:
    """What a failed send is recorded as (`Delivery.last_error`, the worker's log): its kind and
    the SMTP reply codes, never the server's text — a refused recipient's reply names the address,
    which is kept encrypted everywhere else (docs/privacy.md)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _text in exc.recipients.values()})
        return f"{type(exc).__name__} {','.join(codes)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__} {exc.smtp_code}"
    return type(exc).__name__


def webpush_configured() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY)


def _send_webpush(delivery: Delivery) -> None:
    if not webpush_configured():
        raise ChannelError("Web Push is not configured (VAPID_PRIVATE_KEY / VAPID_PUBLIC_KEY)", permanent=True)
    from pywebpush import WebPushException, webpush

    notification = delivery.notification
    subscriptions = list(WebPushSubscription.objects.filter(account_id=notification.account_id))
    if not subscriptions:
        raise ChannelError("the account has no push subscription", permanent=True)
    payload = json.dumps(
        {"title": notification.title, "body": notification.body, "url": notification.link or "/notifications/"},
        ensure_ascii=False,
    )
    sent, gone, errors = 0, [], []
    for subscription in subscriptions:
        if not webpush_endpoint_allowed(subscription.endpoint):
            # Saved before the rule, or the list was narrowed since: never posted to, forgotten.
            gone.append(subscription)
            continue
        info: dict[str, Any] = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        try:
            webpush(
                subscription_info=info,
                data=payload,
                vapid_private_key=settings.VAPID_PRIVATE_KEY,
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                ttl=settings.WEBPUSH_TTL_SECONDS,
                timeout=settings.WEBPUSH_TIMEOUT_SECONDS,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                gone.append(subscription)
            else:
                errors.append(f"{status or 'no response'}: {exc.message[:100]}")
        except Exception as exc:  # network errors, malformed keys
            errors.append(f"{type(exc).__name__}: {str(exc)[:100]}")
        else:
            sent += 1
    if gone:
        webpush_subscriptions_forget(subscriptions=gone)
    if sent:
        return
    if errors:
        raise ChannelError("Web Push: " + "; ".join(errors))
    raise ChannelError("every push subscription has expired", permanent=True)
