"""Staff sign-in (username + password, lockout) and account administration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from khaibao.accounts import ratelimit
from khaibao.accounts.models import STAFF_ROLES, Account
from khaibao.audit.services import audit_record
from khaibao.core.errors import RateLimited, ServiceError


def _account_key(username: str) -> str:
    return f"staff-account:{username.strip().lower()}"


def _ip_key(ip: str) -> str:
    return f"staff-ip:{ip}"


def staff_authenticate(*, request: HttpRequest, username: str, password: str, ip: str) -> Account:
    """Check a staff member's password, with lockout per account and per IP address.

    An account locks after STAFF_LOCKOUT_THRESHOLD failures and an address after
    STAFF_LOCKOUT_IP_THRESHOLD; each lock touches only that account or that address.
    """
    locked = RateLimited(
        _("Too many failed sign-ins. Try again in %(minutes)s minutes.")
        % {"minutes": settings.STAFF_LOCKOUT_SECONDS // 60},
        retry_after=settings.STAFF_LOCKOUT_SECONDS,
    )
    if ratelimit.is_blocked(_ip_key(ip)) or ratelimit.is_blocked(_account_key(username)):
        raise locked
    account: Any = authenticate(request, username=username, password=password)
    if account is None or account.role not in STAFF_ROLES:
        window = settings.STAFF_LOCKOUT_SECONDS
        if ratelimit.hit(_account_key(username), window_seconds=window) >= settings.STAFF_LOCKOUT_THRESHOLD:
            ratelimit.block(_account_key(username), seconds=window)
            _record_lockout(username=username, ip=ip, scope="account")
        if ratelimit.hit(_ip_key(ip), window_seconds=window) >= settings.STAFF_LOCKOUT_IP_THRESHOLD:
            ratelimit.block(_ip_key(ip), seconds=window)
            _record_lockout(username=username, ip=ip, scope="ip")
        raise ServiceError(
            _("Wrong username or password."),
            code="invalid_credentials",
            fields={"password": _("Wrong username or password.")},
            status=401,
        )
    ratelimit.reset(_account_key(username))
    return account


def _record_lockout(*, username: str, ip: str, scope: str) -> None:
    account = Account.objects.filter(username=username).first()
    with transaction.atomic():
        audit_record(
            actor=account or "anonymous",
            action=f"account.locked_{scope}",
            obj=account,
            ip=ip,
        )


def staff_record_sign_in(*, account: Account, ip: str, second_factor: bool) -> None:
    with transaction.atomic():
        audit_record(
            actor=account,
            action="account.sign_in_staff",
            obj=account,
            ip=ip,
            data={"second_factor": second_factor},
        )
