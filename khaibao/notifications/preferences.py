"""An account's notification preferences (channels, language, daily reminder) and its Web Push
subscriptions. Preference changes and subscriptions are the account's own writes: audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypedDict, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from urllib3.util import parse_url

from khaibao.accounts.models import Account
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.notifications.models import ChannelPreference, Language, WebPushSubscription


def preference_for(account: Account) -> ChannelPreference:
    """The account's channel preferences, defaults when it never chose (nothing is written)."""
    pref = ChannelPreference.objects.filter(account=account).first()
    return pref if pref is not None else ChannelPreference(account=account)


def account_language(account: Account) -> str:
    """"vi" or "en": the language the account reads notifications in (Vietnamese by default)."""
    language = ChannelPreference.objects.filter(account=account).values_list("language", flat=True).first()
    return language or Language.VI


_PREFERENCE_FIELDS = ("sms", "email", "email_address", "webpush", "language", "daily_reminder")


class PreferenceChanges(TypedDict, total=False):
    """The preferences to change; absent keys stay as they are."""

    sms: bool
    email: bool
    email_address: str | None
    webpush: bool
    language: str
    daily_reminder: bool


@transaction.atomic
def preferences_update(*, actor: Account, changes: PreferenceChanges, ip: str = "") -> ChannelPreference:
    """Change the actor's channel preferences; only the given fields change.

    E-mail can only be turned on with an address. The audit event names the changed fields,
    never the address.
    """
    changes = cast(PreferenceChanges, dict(changes))
    # Callers pass what a form or a request body holds: a key outside the contract is refused.
    unknown = set(changes) - set(_PREFERENCE_FIELDS)
    if unknown:
        raise ServiceError(_("Unknown preference."), fields={name: _("Unknown field.") for name in unknown})
    pref = ChannelPreference.objects.select_for_update().filter(account=actor).first()
    if pref is None:
        pref = ChannelPreference(account=actor)
    fields: dict[str, str] = {}
    if "language" in changes and changes["language"] not in Language.values:
        fields["language"] = _("Choose Vietnamese or English.")
    if "email_address" in changes:
        changes["email_address"] = (changes["email_address"] or "").strip()
        if changes["email_address"]:
            try:
                validate_email(changes["email_address"])
            except ValidationError:
                fields["email_address"] = _("Enter a valid e-mail address, e.g. ten@example.com.")
    email_on = changes.get("email", pref.email)
    address = changes.get("email_address", pref.email_address)
    if email_on and not address and "email_address" not in fields:
        fields["email_address"] = _("Enter the e-mail address to send notifications to.")
    if fields:
        raise ServiceError(_("Please correct the highlighted fields."), fields=fields)
    values: dict[str, Any] = dict(changes)
    changed = [name for name in _PREFERENCE_FIELDS if name in values and getattr(pref, name) != values[name]]
    for name in changed:
        setattr(pref, name, values[name])
    pref.updated_at = timezone.now()
    pref.save()
    if changed:
        audit_record(actor=actor, action="notifications.preferences_update", obj=pref, ip=ip, data={"fields": changed})
    return pref


def language_follow_site(*, actor: Account, language: str, ip: str = "") -> bool:
    """Make the notification language the one a signed-in citizen just chose for the site (the
    header's language switch): someone who reads the site in English expects their next warning
    in English too. Returns whether the preference changed.

    Only citizens (staff read no citizen inbox) and only a language notifications are written in;
    choosing the language already saved writes nothing. Notifications already sent keep the
    language they were written in.
    """
    if not actor.is_citizen or language not in Language.values:
        return False
    if preference_for(actor).language == language:
        return False
    preferences_update(actor=actor, changes={"language": language}, ip=ip)
    return True


# A backslash, white space or a control character: parsers disagree on where such a host ends.
_AMBIGUOUS = re.compile(r"[\\\s\x00-\x1f\x7f]")


def webpush_endpoint_allowed(endpoint: str) -> bool:
    """Whether the worker may post to `endpoint`: https on the default port, at a host of
    settings.WEBPUSH_ALLOWED_HOSTS (a leading dot: that domain's subdomains) — never an internal
    address (127.0.0.1, a cloud's metadata address, a private network) a subscription names. The
    host is read as the sender's HTTP client reads it (urllib3) and must be the one Python's parser
    reads: `https://127.0.0.1\\.push.services.mozilla.com/` is one host to urlsplit, another to
    urllib3."""
    if _AMBIGUOUS.search(endpoint):
        return False
    try:
        url = urlsplit(endpoint)
        port = url.port
        sent = parse_url(endpoint)
    except ValueError:  # urllib3's LocationParseError is one too
        return False
    host = (url.hostname or "").rstrip(".").lower()
    if (sent.host or "").rstrip(".").lower() != host or sent.port != port:
        return False
    if url.scheme != "https" or port not in (None, 443) or not host or url.username or url.password:
        return False
    return any(
        host.endswith(allowed) if allowed.startswith(".") else host == allowed
        for allowed in (a.lower() for a in settings.WEBPUSH_ALLOWED_HOSTS)
    )


@transaction.atomic
def webpush_subscription_save(
    *, actor: Account, endpoint: str, p256dh: str, auth: str, ip: str = ""
) -> WebPushSubscription:
    """Store (or refresh) a browser's push subscription for the actor.

    Only an https address of a known push service is accepted (`webpush_endpoint_allowed`): the
    worker posts to it, so anything else would let an account make it call arbitrary URLs.
    """
    fields = {}
    if not endpoint.startswith("https://") or len(endpoint) > 1000:
        fields["endpoint"] = _("The push endpoint must be an https URL.")
    elif not webpush_endpoint_allowed(endpoint):
        fields["endpoint"] = _("The push endpoint must be an address of a browser's push service.")
    if not p256dh or len(p256dh) > 200:
        fields["p256dh"] = _("The subscription key is missing or too long.")
    if not auth or len(auth) > 100:
        fields["auth"] = _("The subscription secret is missing or too long.")
    if fields:
        raise ServiceError(_("This push subscription is not valid."), fields=fields)
    subscription, created = WebPushSubscription.objects.update_or_create(
        account=actor, endpoint=endpoint, defaults={"p256dh": p256dh, "auth": auth}
    )
    # Subscribing is an explicit choice: make sure the channel is on.
    pref = ChannelPreference.objects.select_for_update().filter(account=actor).first() or ChannelPreference(
        account=actor
    )
    if not pref.webpush or pref._state.adding:
        pref.webpush = True
        pref.save()
    if created:
        audit_record(actor=actor, action="notifications.webpush_subscribe", obj=subscription, ip=ip)
    return subscription


def webpush_subscriptions_forget(*, subscriptions: Iterable[WebPushSubscription]) -> int:
    """Drop subscriptions the push service says are gone (HTTP 404/410); called by the worker."""
    ids = [s.pk for s in subscriptions]
    deleted, _counts = WebPushSubscription.objects.filter(pk__in=ids).delete()
    return deleted
