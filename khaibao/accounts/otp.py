"""Citizen sign-in by one-time code sent by SMS (DESIGN.md §7).

Rules: 6 digits, valid OTP_CODE_TTL_SECONDS (≤ 5 min), single use, stored as a keyed hash,
at most OTP_MAX_ATTEMPTS wrong guesses per code, one code per phone per cooldown, per-IP limits,
and the same answer whether or not the phone has an account (no enumeration).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import Account, OtpChallenge, Role
from khaibao.accounts.phones import phone_index
from khaibao.accounts.sms import SmsNotSent, send_code_sms
from khaibao.audit.services import audit_record
from khaibao.core import crypto
from khaibao.core.errors import RateLimited, ServiceError


def _code_hash(challenge_index: str, code: str) -> str:
    return crypto.blind_index(f"{challenge_index}:{code}", purpose="otp")


def otp_request(*, phone: str, ip: str) -> None:
    """Send a fresh code to `phone` (E.164) unless a limit applies.

    Whether an account exists for the phone is deliberately irrelevant: a first sign-in
    creates it, so the answer cannot reveal who is registered.
    """
    if ratelimit.hit(f"otp-ip:{ip}", window_seconds=3600) > settings.OTP_IP_LIMIT_PER_HOUR:
        raise RateLimited(_("Too many code requests from this network. Try again later."), retry_after=3600)
    index = phone_index(phone)
    now = timezone.now()
    cooldown_start = now - timedelta(seconds=settings.OTP_COOLDOWN_SECONDS)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Two taps at once must not both pass the cooldown check (SQLite's IMMEDIATE
            # transactions already serialise this block).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(index[:15], 16)])
        recent = (
            OtpChallenge.objects.filter(phone_index=index, created_at__gt=cooldown_start)
            .order_by("-created_at")
            .first()
        )
        if recent is not None:
            wait = settings.OTP_COOLDOWN_SECONDS - int((now - recent.created_at).total_seconds())
            raise RateLimited(
                _("A code was just sent. Please wait %(seconds)s seconds before asking again.")
                % {"seconds": max(wait, 1)},
                retry_after=max(wait, 1),
            )
        # Counted only for codes about to be sent, so cooldown refusals do not spend it.
        if ratelimit.hit("otp-sms-global", window_seconds=3600) > settings.OTP_SMS_GLOBAL_LIMIT_PER_HOUR:
            raise RateLimited(_("The sign-in service is busy. Try again in a few minutes."), retry_after=300)
        code = f"{secrets.randbelow(1_000_000):06d}"
        # Older unexpired codes for this phone stop working: only the newest code counts.
        OtpChallenge.objects.filter(phone_index=index, consumed_at__isnull=True).update(consumed_at=now)
        challenge = OtpChallenge.objects.create(
            phone_index=index,
            code_hash=_code_hash(index, code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_CODE_TTL_SECONDS),
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


def otp_verify(*, phone: str, code: str, ip: str) -> Account:
    """Check `code` for `phone`; on success return the citizen account (created on first sign-in).

    The attempt counter is incremented with a conditional UPDATE before the comparison, so
    concurrent guesses can never together exceed OTP_MAX_ATTEMPTS.
    """
    invalid = ServiceError(
        _("The code is wrong or has expired. Ask for a new code."),
        code="invalid_code",
        fields={"code": _("The code is wrong or has expired.")},
    )
    if ratelimit.hit(f"otp-verify-ip:{ip}", window_seconds=3600) > settings.OTP_IP_LIMIT_PER_HOUR * 5:
        raise RateLimited(_("Too many attempts from this network. Try again later."), retry_after=3600)
    if not (len(code) == 6 and code.isdigit()):
        raise ServiceError(
            _("The code has 6 digits."), code="invalid_code", fields={"code": _("The code has 6 digits.")}
        )
    index = phone_index(phone)
    now = timezone.now()
    account: Account | None = None
    # No exception may leave this block after the attempt counter moved: a rollback would
    # hand the guesser their attempt back.
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.filter(phone_index=index, consumed_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        claimed = challenge is not None and OtpChallenge.objects.filter(
            pk=challenge.pk, consumed_at__isnull=True, attempts__lt=settings.OTP_MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
        if (
            challenge is not None
            and claimed
            and hmac.compare_digest(challenge.code_hash, _code_hash(index, code))
            and OtpChallenge.objects.filter(pk=challenge.pk, consumed_at__isnull=True).update(consumed_at=now)
        ):
            account, created = Account.objects.get_or_create(
                phone_index=index, defaults={"phone": phone, "role": Role.CITIZEN}
            )
            if account.is_active:
                audit_record(
                    actor=account, action="account.sign_in_otp", obj=account, ip=ip, data={"created": created}
                )
                # Imported here: people builds on accounts. Someone a volunteer assisted who now
                # signs in with their own phone sees everything done for them (issue 7).
                from khaibao.people.services import assisted_link_on_sign_in

                assisted_link_on_sign_in(account=account)
            else:
                account = None
    if account is None:
        raise invalid
    # Organisation roster lines with this phone get linked (the citizen confirms them once);
    # outside the block above so nothing here can hand a guesser their attempt back.
    from khaibao.orgs.services import members_link_for_account

    members_link_for_account(account=account)
    return account
