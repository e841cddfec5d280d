"""Citizen sign-in by one-time code sent by SMS (DESIGN.md §7).

Rules: 6 digits, valid OTP_CODE_TTL_SECONDS (≤ 5 min), single use, stored as a keyed hash,
at most OTP_MAX_ATTEMPTS wrong guesses per code, one code per phone per cooldown and
OTP_PHONE_LIMIT_PER_HOUR per phone and hour, per-IP limits, and the same answer whether or not
the phone has an account (no enumeration). The code itself is checked by
accounts/one_time_codes.py; the account it opens by khaibao/signin.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from khaibao.accounts import ratelimit
from khaibao.accounts.models import OtpChallenge
from khaibao.accounts.one_time_codes import code_clean, code_issue, code_redeem, code_refused, code_send_check
from khaibao.accounts.phones import phone_index
from khaibao.accounts.sms import SmsNotSent, send_code_sms
from khaibao.core.errors import RateLimited

PURPOSE = "otp"


def otp_request(*, phone: str, ip: str) -> None:
    """Send a fresh code to `phone` (E.164) unless a limit applies.

    Whether an account exists for the phone is deliberately irrelevant: a first sign-in
    creates it, so the answer cannot reveal who is registered.
    """
    if ratelimit.hit(f"otp-ip:{ip}", window_seconds=3600) > settings.OTP_IP_LIMIT_PER_HOUR:
        raise RateLimited(_("Too many code requests from this network. Try again later."), retry_after=3600)
    index = phone_index(phone)
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two taps at once must not both pass the phone's cap or cooldown (SQLite's
            # IMMEDIATE transactions already serialise this block).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(index[:15], 16)])
        # At most OTP_PHONE_LIMIT_PER_HOUR codes to this phone within the hour; checked first, so
        # that a refusal spends none of the service's hourly budget below.
        _phone_hourly_cap(index, now=now)
        # One code per phone per cooldown; this hourly cap is the whole service's (every code is
        # an SMS the service pays for), so past it the service is busy, not the asker greedy.
        code_send_check(
            OtpChallenge, scope={"phone_index": index}, limit_key="otp-sms-global",
            per_hour=settings.OTP_SMS_GLOBAL_LIMIT_PER_HOUR, now=now,
            cap_message=_("The sign-in service is busy. Try again in a few minutes."), cap_retry_after=300,
        )
        challenge, code = code_issue(
            OtpChallenge, scope={"phone_index": index}, key=index, purpose=PURPOSE,
            ttl=timedelta(seconds=settings.OTP_CODE_TTL_SECONDS), now=now,
        )
        minutes = settings.OTP_CODE_TTL_SECONDS // 60
        body = _(
            "Khai Bao: your sign-in code is %(code)s. It expires in %(minutes)s minutes. Never share it."
        ) % {
            "code": code,
            "minutes": minutes,
        }
    # Sent once the code is stored, retried briefly; a code that never left is withdrawn (no
    # cooldown for it) and the person is told to try again (accounts/sms.py).
    if not send_code_sms(to=phone, body=body, counter="sms.sign_in"):
        OtpChallenge.objects.filter(pk=challenge.pk).delete()
        raise SmsNotSent


def _phone_hourly_cap(index: str, *, now: datetime) -> None:
    """Refuse (RateLimited: 429, Retry-After) a code to the phone whose blind index is `index`
    once OTP_PHONE_LIMIT_PER_HOUR codes went to it within the hour, whoever asked and from
    however many addresses: the cooldown alone let one phone get a code a minute (an SMS flood).

    Counted from the phone's stored codes — under the caller's lock, so two requests at once
    cannot both pass; a code the gateway never took is withdrawn and does not count; the
    retention job keeps them at least an hour (RETENTION_SHORT_LIVED_HOURS ≥ 1) — so the window
    slides and Retry-After is exact: until the oldest code counted is an hour old. Every phone
    is counted alike, registered or not.
    """
    limit = settings.OTP_PHONE_LIMIT_PER_HOUR
    counted = list(
        OtpChallenge.objects.filter(phone_index=index, created_at__gt=now - timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[limit - 1 : limit]
    )
    if not counted:
        return
    wait = max(math.ceil((counted[0] + timedelta(hours=1) - now).total_seconds()), 1)
    minutes = math.ceil(wait / 60)
    raise RateLimited(
        ngettext(
            "This number was sent too many codes in the last hour. Try again in %(minutes)s minute.",
            "This number was sent too many codes in the last hour. Try again in %(minutes)s minutes.",
            minutes,
        ) % {"minutes": minutes},
        retry_after=wait,
    )


def otp_verify(*, phone: str, code: str, ip: str) -> None:
    """Check `code` for `phone` and consume it; a wrong, expired or used code raises ServiceError.

    Only the code: who signs in with it (the account, created on first sign-in) is
    khaibao/signin's, which calls this first.
    """
    if ratelimit.hit(f"otp-verify-ip:{ip}", window_seconds=3600) > settings.OTP_IP_LIMIT_PER_HOUR * 5:
        raise RateLimited(_("Too many attempts from this network. Try again later."), retry_after=3600)
    code = code_clean(code)
    index = phone_index(phone)
    challenge = code_redeem(
        OtpChallenge.objects.filter(phone_index=index), key=index, purpose=PURPOSE, code=code,
        max_attempts=settings.OTP_MAX_ATTEMPTS,
    )
    if challenge is None:
        raise code_refused()
