"""Staff sign-in (username + password, lockout) and account administration."""

from __future__ import annotations

import ipaddress
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
from khaibao.core.http import rate_key_of

# The account-wide lock counts failures over an hour (STAFF_LOCKOUT_ACCOUNT_THRESHOLD of them).
ACCOUNT_WIDE_WINDOW_SECONDS = 3600


def _account_key(username: str) -> str:
    return f"staff-account:{username.strip().lower()}"


def _account_network_key(username: str, network: str) -> str:
    return f"staff-account-net:{username.strip().lower()}:{network}"


def _ip_key(network: str) -> str:
    return f"staff-ip:{network}"


def _guesser_key(username: str, network: str) -> str:
    """Whether this network (as `_guessing_network` widens it) failed on this account within the
    account-wide hour: only such networks are held by the account-wide lock."""
    return f"staff-account-guesser:{username.strip().lower()}:{_guessing_network(network)}"


def _guessing_network(network: str) -> str:
    """What the account-wide lock holds a failure against: an IPv4 address as it is, an IPv6 /64
    (`rate_key_of`) widened to its /48 — one subscriber or rented server gets a /48 or a /56, so
    a new /64 costs nothing and would buy a new guess; a whole /48 does cost one."""
    if not network.endswith("/64"):
        return network
    try:
        return str(ipaddress.IPv6Network(network).supernet(new_prefix=48))
    except ValueError:
        return network


def staff_authenticate(*, request: HttpRequest, username: str, password: str, ip: str) -> Account:
    """Check a staff member's password, with lockout per account and network, per network, and
    per account everywhere. A network is an IPv4 address or an IPv6 /64 (core/http.py
    `rate_key_of`).

    STAFF_LOCKOUT_THRESHOLD failures lock the account for that network only: a lock any address
    could set for every address let anyone keep an official out of the console, five wrong
    passwords every quarter hour. STAFF_LOCKOUT_IP_THRESHOLD failures (any accounts) lock the
    network. STAFF_LOCKOUT_ACCOUNT_THRESHOLD failures within an hour, from however many networks,
    lock the account for every network that failed on it within that hour (an IPv6 network
    counted as its /48 here, `_guessing_network`) — the guessers — and not for the others: a lock
    for all let anyone with ten IPv6 /64s keep an official out of the console, and a correct
    password from a network that never failed is not a guess (officials then still face TOTP).

    What guessing spread over many networks still gets, with the defaults (5, 20, 50, 15 min):
    at most 50 wrong passwords within the hour until the lock, then — the lock renewed by every
    further failure while the hour's count stays at 50 or more — ONE more per IPv4 address or
    IPv6 /48 that had not failed on this account within the hour. So at most 50 + one per fresh
    address or /48 an hour, instead of 50; a correct password is never refused because of
    failures elsewhere (accounts/tests/test_staff_lockout_spread.py checks both).
    """
    locked = RateLimited(
        _("Too many failed sign-ins. Try again in %(minutes)s minutes.")
        % {"minutes": settings.STAFF_LOCKOUT_SECONDS // 60},
        retry_after=settings.STAFF_LOCKOUT_SECONDS,
    )
    network = rate_key_of(ip)
    pair_key, account_key, ip_key = _account_network_key(username, network), _account_key(username), _ip_key(network)
    guesser_key = _guesser_key(username, network)
    if ratelimit.is_blocked(ip_key) or ratelimit.is_blocked(pair_key):
        raise locked
    # The account-wide lock holds only networks that failed on the account themselves.
    if ratelimit.is_blocked(account_key) and ratelimit.count(guesser_key) > 0:
        raise locked
    account: Any = authenticate(request, username=username, password=password)
    if account is None or account.role not in STAFF_ROLES:
        window = settings.STAFF_LOCKOUT_SECONDS
        ratelimit.hit(guesser_key, window_seconds=ACCOUNT_WIDE_WINDOW_SECONDS)
        if ratelimit.hit(pair_key, window_seconds=window) >= settings.STAFF_LOCKOUT_THRESHOLD:
            ratelimit.block(pair_key, seconds=window)
            _record_lockout(username=username, ip=ip, scope="account", where="network")
        if (
            ratelimit.hit(account_key, window_seconds=ACCOUNT_WIDE_WINDOW_SECONDS)
            >= settings.STAFF_LOCKOUT_ACCOUNT_THRESHOLD
        ):
            ratelimit.block(account_key, seconds=window)
            _record_lockout(username=username, ip=ip, scope="account", where="everywhere")
        if ratelimit.hit(ip_key, window_seconds=window) >= settings.STAFF_LOCKOUT_IP_THRESHOLD:
            ratelimit.block(ip_key, seconds=window)
            _record_lockout(username=username, ip=ip, scope="ip", where="network")
        raise ServiceError(
            _("Wrong username or password."),
            code="invalid_credentials",
            fields={"password": _("Wrong username or password.")},
            status=401,
        )
    # Only this network's counts: failures spread over other networks still add up to the
    # account-wide lock within its hour. A network the official signed in from is no guesser.
    ratelimit.reset(pair_key)
    ratelimit.reset(guesser_key)
    return account


def _record_lockout(*, username: str, ip: str, scope: str, where: str) -> None:
    account = Account.objects.filter(username=username).first()
    with transaction.atomic():
        audit_record(
            actor=account or "anonymous",
            action=f"account.locked_{scope}",
            obj=account,
            ip=ip,
            data={"where": where, "network": rate_key_of(ip)},
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
