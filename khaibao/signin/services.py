"""A citizen's sign-in, the same whichever way they come: a code by SMS on the web or the API
(accounts/otp.py checks the code), or a registration text to the SMS number (khaibao/smsin).

The first sign-in creates the citizen account; every sign-in is audited, hands over the person
a volunteer had registered with this phone (people/volunteers.py) and links the organisation
roster lines that carry the phone (orgs/members.py). A code's guess is counted on its own; the
right code is used up in the one transaction that signs the person in (both or neither). It lives above people and orgs so that
accounts, below them, never has to reach up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import transaction

from khaibao.accounts.models import Account, OtpChallenge, Role
from khaibao.accounts.one_time_codes import code_consume, code_refused
from khaibao.accounts.otp import otp_verify
from khaibao.accounts.phones import phone_index
from khaibao.audit.services import audit_record
from khaibao.orgs.members import members_link_for_account
from khaibao.people.models import Person
from khaibao.people.volunteers import assisted_link_on_sign_in

Channel = Literal["otp", "sms"]


@dataclass(frozen=True)
class SignedIn:
    account: Account
    created: bool
    # The person a volunteer had registered with this phone, now the account's own ("self").
    assisted: Person | None


def citizen_account_open(*, phone: str, channel: Channel, ip: str) -> SignedIn | None:
    """The citizen account of `phone` (E.164), created on first sign-in, with the sign-in audited
    and an assisted person handed over; None when the account is locked or is not a citizen's. One
    transaction (a savepoint inside the caller's): an SMS registration refused afterwards leaves no
    account."""
    with transaction.atomic():
        account, created = Account.objects.get_or_create(
            phone_index=phone_index(phone), defaults={"phone": phone, "role": Role.CITIZEN}
        )
        # Staff sign in with a password and their authenticator, never with a code sent to a
        # phone: should a staff account ever hold this phone, a code must not open it.
        if not account.is_active or account.role != Role.CITIZEN:
            return None
        audit_record(
            actor=account, action=f"account.sign_in_{channel}", obj=account, ip=ip, data={"created": created}
        )
        assisted = assisted_link_on_sign_in(account=account)
    return SignedIn(account=account, created=created, assisted=assisted)


def citizen_links_refresh(*, account: Account) -> int:
    """After a sign-in (and once the account's own person exists): roster lines with the phone
    find the account. Returns how many were linked."""
    return members_link_for_account(account=account)


def citizen_code_check(*, phone: str, code: str, ip: str) -> OtpChallenge:
    """The sign-in code sent to `phone`, found right but not used yet; a wrong, expired or used
    code raises ServiceError. The guess is counted and committed on its own: call this outside any
    transaction, so that no refusal afterwards hands a guess back. Then sign in with
    `citizen_sign_in_checked`."""
    return otp_verify(phone=phone, code=code, ip=ip)


def citizen_sign_in_checked(*, phone: str, challenge: OtpChallenge, ip: str) -> Account:
    """Sign in with a code `citizen_code_check` found right: the code used up, the account opened
    (created on first sign-in) and its roster lines linked, in one transaction — a savepoint of the
    caller's, which may add what the sign-in hands out (the API's tokens) so that all of it commits
    or none does. A database failure (503) thus leaves the code usable for the retry. A locked
    account, or a code used meanwhile, gets the same answer as a wrong code."""
    with transaction.atomic():
        if not code_consume(challenge):
            raise code_refused()
        signed = citizen_account_open(phone=phone, channel="otp", ip=ip)
        if signed is None:
            raise code_refused()
        citizen_links_refresh(account=signed.account)
    return signed.account


def citizen_sign_in_with_code(*, phone: str, code: str, ip: str) -> Account:
    """Sign in with the code sent to `phone` (the web's sign-in): `citizen_code_check`, then
    `citizen_sign_in_checked`."""
    challenge = citizen_code_check(phone=phone, code=code, ip=ip)
    return citizen_sign_in_checked(phone=phone, challenge=challenge, ip=ip)
