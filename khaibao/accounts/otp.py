"""Citizen sign-in by one-time code sent by SMS (DESIGN.md §7).

Rules: 6 digits, valid OTP_CODE_TTL_SECONDS (≤ 5 min), single use, stored as a keyed hash,
at most OTP_MAX_ATTEMPTS wrong guesses per code, one code per phone per cooldown and
OTP_PHONE_LIMIT_PER_HOUR per phone and hour, per-address limits (an IPv6 caller's whole /64:
core/http.py `rate_key_of`), and the same answer whether or not the phone has an account (no
enumeration). The code itself is checked by
accounts/one_time_codes.py; the account it opens by khaibao/signin.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import OtpChallenge
from khaibao.accounts.one_time_codes import code_clean, code_issue, code_redeem, code_refused, code_send_check
from khaibao.accounts.phones import phone_index
from khaibao.accounts.sms import SmsNotSent, send_code_sms
from khaibao.core.errors import RateLimited
from khaibao.core.http import rate_key_of

PURPOSE = "otp"


def otp_request(*, phone: str, ip: str) -> None:
    """Send a fresh code to `phone` (E.164) unless a limit applies.

    Whether an account exists for the phone is deliberately irrelevant: a first sign-in
    creates it, so the answer cannot reveal who is registered.
    """
    if ratelimit.hit(f"otp-ip:{rate_key_of(ip)}", window_seconds=3600) > settings.OTP_IP_LIMIT_PER_HOUR:
        raise RateLimited(_("Too many code requests from this network. Try again later."), retry_after=3600)
    index = phone_index(phone)
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two taps at once must not both pass the phone's cap or cooldown (SQLite's
            # IMMEDIATE transactions already serialise this block).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(index[:15], 16)])
        # At most OTP_PHONE_LIMIT_PER_HOUR codes to this phone within the hour, whoever asks and
        # from however many addresses (the cooldown alone let a phone get a code a minute: an SMS
        # flood), every phone alike; one code per phone per cooldown; and the whole service's
        # hourly cap (every code is an SMS the service pays for), so past it the service is busy,
        # not the asker greedy.
        code_send_check(
            OtpChallenge, scope={"phone_index": index}, limit_key="otp-sms-global",
            per_hour=settings.OTP_SMS_GLOBAL_LIMIT_PER_HOUR, now=now,
            cap_message=_("The sign-in service is busy. Try again in a few minutes."), cap_retry_after=300,
            scope_per_hour=settings.OTP_PHONE_LIMIT_PER_HOUR,
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


def otp_verify(*, phone: str, code: str, ip: str) -> OtpChallenge:
    """Check `code` for `phone`: the right code, not yet used up; a wrong, expired or used code
    raises ServiceError. The guess is counted and committed here, on its own (call it outside any
    transaction the refusal could roll back).

    Only the code: who signs in with it (the account, created on first sign-in) is
    khaibao/signin's, which calls this first and then uses the code up
    (`one_time_codes.code_consume`) in the transaction that signs the person in, so a failure
    there leaves the code usable for the retry.
    """
    if ratelimit.hit(f"otp-verify-ip:{rate_key_of(ip)}", window_seconds=3600) > settings.OTP_IP_LIMIT_PER_HOUR * 5:
        raise RateLimited(_("Too many attempts from this network. Try again later."), retry_after=3600)
    code = code_clean(code)
    index = phone_index(phone)
    challenge = code_redeem(
        OtpChallenge.objects.filter(phone_index=index), key=index, purpose=PURPOSE, code=code,
        max_attempts=settings.OTP_MAX_ATTEMPTS, consume=False,
    )
    if challenge is None:
        raise code_refused()
    return challenge
