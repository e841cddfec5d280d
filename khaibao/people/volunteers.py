"""Volunteers' assisted people: a volunteer registers a person (elderly, without a phone) with
their consent — a one-time code to the person's own phone, or witnessed verbal consent — and
declares for them while the delegation lasts. Who may see whom through a delegation is
people/access.py's; who is appointed volunteer, by whom, is orgs/volunteers.py's.

A delegation starts only through `assisted_person_start`, with the consent and the checks it
makes (an appointment in force, the appointment's cap, the witness or the code): there is no
other way in, the demo world included.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, OtpChallenge, Role
from khaibao.accounts.one_time_codes import (
    code_clean,
    code_issue,
    code_redeem,
    code_refused,
    code_send_check,
    codes_live,
)
from khaibao.accounts.phones import phone_index
from khaibao.accounts.sms import SmsNotSent, send_code_sms
from khaibao.audit.services import audit_record
from khaibao.core import crypto
from khaibao.core.errors import ServiceError
from khaibao.core.hooks import hooks_call
from khaibao.people import validators as v
from khaibao.people.access import is_active_volunteer
from khaibao.people.limits import assisted_room_check, consent_code_ttl, delegation_holds_place_q
from khaibao.people.models import ConsentMethod, Delegation, HouseholdMembership, Person, Relation
from khaibao.people.persons import (
    id_number_attempt,
    id_number_duplicate_review,
    person_fields_apply,
    person_fields_validate,
)

# --- Volunteers (issue 7) -------------------------------------------------------------------

# A consent code lives and is guessed as every one-time code (settings.OTP_CODE_TTL_SECONDS,
# OTP_MAX_ATTEMPTS: 5 minutes and 5 guesses by default), so one setting changes all three kinds.
# Consent codes one phone receives per hour, whoever asks and for whichever delegation (besides
# one per delegation per OTP_COOLDOWN_SECONDS): each is an SMS to someone who may not want it,
# and OTP_MAX_ATTEMPTS guesses — so at most 5 × 5 = 25 guesses per phone and hour by default.
CONSENT_CODES_PER_HOUR = 5
CONSENT_METHODS = (ConsentMethod.CODE, ConsentMethod.WITNESSED)
# Its own purpose: a consent code can never be used to sign in, nor a sign-in code here.
CONSENT_PURPOSE = "consent-otp"


def consent_code_minutes() -> int:
    """`consent_code_ttl` in whole minutes, as the SMS and the volunteer's page say it."""
    return max(1, int(consent_code_ttl().total_seconds()) // 60)


def _consent_key(delegation: Delegation) -> str:
    return crypto.blind_index(f"delegation:{delegation.pk}", purpose=CONSENT_PURPOSE)


def consent_code_limit_key(index: str) -> str:
    """The rate-limit key counting the consent codes sent to the phone whose blind index is `index`."""
    return f"consent-code:{index}"


def _consent_code_issue(delegation: Delegation, phone: str, volunteer_name: str) -> tuple[int, str]:
    """A new consent code for the delegation, in the caller's transaction: (its row's id, the
    SMS to send once that transaction commits — `_consent_code_send`)."""
    key = _consent_key(delegation)
    # Refused (RateLimited) within the cooldown of this delegation's last code, or past the
    # phone's hourly cap.
    code_send_check(
        OtpChallenge, scope={"phone_index": key}, limit_key=consent_code_limit_key(phone_index(phone)),
        per_hour=CONSENT_CODES_PER_HOUR,
    )
    # Kept beside the sign-in codes, keyed by the delegation instead of a phone.
    challenge, code = code_issue(
        OtpChallenge, scope={"phone_index": key}, key=key, purpose=CONSENT_PURPOSE, ttl=consent_code_ttl()
    )
    # A new code replaces the older one: the code given back proves the holder of this phone.
    # While consent is pending, `consent_recorded_at` says when the last code was sent: the
    # registration lapses VOLUNTEER_PENDING_CONSENT_DAYS after that code expires
    # (limits.pending_consent_lapse; the confirmation overwrites it with the consent's time).
    Delegation.objects.filter(pk=delegation.pk).update(
        consent_phone_index=phone_index(phone), consent_recorded_at=challenge.created_at
    )
    # In the country's language, as every SMS to a third party (tracing's invitation): the person
    # asked is not the volunteer, whose page may be in English.
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "Khai Bao: volunteer %(volunteer)s asks to declare your health for you. If you agree, give them "
            "this code: %(code)s (valid %(minutes)s minutes)."
        ) % {
            "volunteer": volunteer_name or _("a volunteer"),
            "code": code,
            "minutes": consent_code_minutes(),
        }
    return challenge.pk, body


def _consent_code_send(challenge_id: int, phone: str, body: str) -> bool:
    """Send a consent code once it is stored (after the commit), as a sign-in code is sent: a
    few quick retries within OTP_SMS_DEADLINE_SECONDS, counted (`sms.consent.sent` / `.failed`).

    Not the durable outbox of replies and invitations: the code lives OTP_CODE_TTL_SECONDS (5
    minutes) while the volunteer and the person wait for it, and a retry minutes later would bring
    a dead code. A code that never left is withdrawn — no cooldown holds the next one back — and
    the volunteer's page says no code is waiting (`consent_code_waiting`), with "Send a new code".
    """
    if send_code_sms(to=phone, body=body, counter="sms.consent"):
        return True
    OtpChallenge.objects.filter(pk=challenge_id).delete()
    return False


def consent_code_waiting(delegation: Delegation) -> bool:
    """Whether a consent code for the delegation may still be given back: sent (a code the
    gateway never took is withdrawn), not used, not expired, guesses left. The volunteer's page
    says "a code was sent" only then, and otherwise asks for a new one."""
    live = codes_live(OtpChallenge.objects.filter(phone_index=_consent_key(delegation)))
    return live.filter(attempts__lt=settings.OTP_MAX_ATTEMPTS).exists()


def _consent_checked(consent_method: str, *, phone: str, witness_name: str, attested: bool) -> tuple[str, dict[str, str]]:
    """The witness's cleaned name (witnessed consent) and the consent fields that are wrong."""
    errors: dict[str, str] = {}
    witness = ""
    if consent_method not in CONSENT_METHODS:
        errors["consent_method"] = _("Choose a one-time code to their phone, or witnessed verbal consent.")
    elif consent_method == ConsentMethod.CODE and not (phone or "").strip():
        errors["phone"] = _("A code can only be sent to the person's own phone. Give it, or record witnessed consent.")
    elif consent_method == ConsentMethod.WITNESSED:
        if not attested:
            errors["attested"] = _("Confirm that the person agreed in front of you and the witness.")
        try:
            witness = v.clean_full_name(witness_name)
        except ValidationError as exc:
            errors["witness_name"] = exc.messages[0]
    return witness, errors


def assisted_person_start(
    *,
    actor: Account,
    consent_method: str,
    full_name: str,
    sex: str,
    home_ward_id: int | None,
    birth_year: int | None = None,
    date_of_birth: date | None = None,
    nationality_id: str = "VN",
    id_number: str = "",
    phone: str = "",
    street: str = "",
    witness_name: str = "",
    attested: bool = False,
    ip: str = "",
) -> Delegation:
    """A volunteer registers an assisted person (same field rules as a household member).

    Consent "witnessed": the volunteer attests (tick + witness's name) and the delegation is
    active at once. Consent "code": a one-time code goes to the person's own phone and the
    delegation stays pending until `assisted_consent_confirm`.
    """
    if not is_active_volunteer(actor):
        raise ServiceError(_("Only an appointed volunteer registers assisted people."), code="forbidden", status=403)
    values: dict[str, Any] = {
        "full_name": full_name, "sex": sex, "ward_code": home_ward_id, "birth_year": birth_year,
        "date_of_birth": date_of_birth, "nationality": nationality_id, "id_number": id_number,
        "phone": phone, "street": street,
    }
    id_number_attempt(actor=actor, id_number=id_number, ip=ip)
    witness, extra = _consent_checked(consent_method, phone=phone, witness_name=witness_name, attested=attested)
    try:
        clean = person_fields_validate(values, current=None, owner_self=None)
    except ServiceError as exc:
        exc.fields.update(extra)
        raise
    if consent_method == ConsentMethod.CODE and clean["phone"] and phone_index(clean["phone"]) == actor.phone_index:
        # The code proves the person's own agreement: it must not reach the volunteer.
        extra["phone"] = _("This is your own phone. The code must go to the person's own phone.")
    if extra:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=extra)
    now = timezone.now()
    witnessed = consent_method == ConsentMethod.WITNESSED
    with transaction.atomic():
        assisted_room_check(actor)
        person = Person(created_by=actor)
        person_fields_apply(person, clean)
        person.save(force_insert=True)
        delegation = Delegation.objects.create(
            volunteer=actor, person=person, started_at=now, consent_recorded_at=now,
            consent_method=ConsentMethod.WITNESSED if witnessed else ConsentMethod.PENDING_CODE,
            consent_witness=witness, consent_attested_at=now if witnessed else None,
        )
        audit_record(actor=actor, action="person.create", obj=person, person_id=person.pk, ip=ip,
                     data={"relation": "assisted"})
        id_number_duplicate_review(actor=actor, person=person, ip=ip)
        audit_record(actor=actor, action="delegation.start", obj=delegation, person_id=person.pk, ip=ip,
                     data={"consent_method": consent_method})
        if not witnessed:
            challenge_id, body = _consent_code_issue(delegation, clean["phone"], actor.display_name)
    if not witnessed:
        # Once the registration commits — also when the caller's transaction (the web form's
        # submission key, the API's Idempotency-Key) holds it: a rolled-back registration never
        # texts a code that does not exist (diff review). The person is registered either way; a
        # code the gateway did not take is not waiting, which the volunteer's page then says
        # (consent_code_waiting).
        phone = clean["phone"]
        transaction.on_commit(lambda: _consent_code_send(challenge_id, phone, body), robust=True)
    return delegation


def assisted_consent_resend(*, actor: Account, delegation: Delegation, ip: str = "") -> None:
    """A fresh consent code for a pending delegation (the older code stops working).

    At most one per OTP_COOLDOWN_SECONDS and CONSENT_CODES_PER_HOUR per phone and hour (refused
    with RateLimited: 429 and Retry-After), so resending neither floods the person's phone nor
    buys unlimited guesses. A code the gateway did not take after a few quick retries raises
    SmsNotSent (503, "try again in a minute"), and is withdrawn so that trying again is not held
    back by the cooldown.
    """
    with transaction.atomic():
        # Locked: two resends at once must not both pass the cooldown.
        delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
        if delegation.consent_method != ConsentMethod.PENDING_CODE:
            raise ServiceError(_("Consent is already recorded."), code="already_confirmed", status=409)
        if not Delegation.objects.filter(delegation_holds_place_q(), pk=delegation.pk).exists():
            # Lapsed, not yet ended by retention: a new code takes a place again, within the cap.
            assisted_room_check(delegation.volunteer)
        phone = delegation.person.phone
        challenge_id, body = _consent_code_issue(delegation, phone, actor.display_name)
        audit_record(actor=actor, action="delegation.consent_code_sent", obj=delegation,
                     person_id=delegation.person_id, ip=ip)
    if not _consent_code_send(challenge_id, phone, body):
        raise SmsNotSent


def assisted_consent_confirm(*, actor: Account, delegation: Delegation, code: str, ip: str = "") -> Delegation:
    """Record consent by the code sent to the assisted person's phone: 6 digits, valid
    OTP_CODE_TTL_SECONDS, at most OTP_MAX_ATTEMPTS guesses (accounts/one_time_codes.py and the
    settings of sign-in codes)."""
    if delegation.consent_method != ConsentMethod.PENDING_CODE:
        raise ServiceError(_("Consent is already recorded."), code="already_confirmed", status=409)
    code = code_clean(code)
    key = _consent_key(delegation)
    # Nothing may raise in this block once the guess is counted: a rollback would hand it back.
    with transaction.atomic():
        challenge = code_redeem(
            OtpChallenge.objects.filter(phone_index=key), key=key, purpose=CONSENT_PURPOSE, code=code,
            max_attempts=settings.OTP_MAX_ATTEMPTS,
        )
        if challenge is not None:
            Delegation.objects.filter(pk=delegation.pk).update(
                consent_method=ConsentMethod.CODE, consent_recorded_at=challenge.consumed_at
            )
            audit_record(actor=actor, action="delegation.consent_code", obj=delegation,
                         person_id=delegation.person_id, ip=ip)
    if challenge is None:
        raise code_refused()
    delegation.refresh_from_db()
    return delegation


def assisted_revoke(*, actor: Account, delegation: Delegation, ip: str = "") -> Delegation:
    """End the delegation now: the volunteer no longer declares for the person. Their records stay."""
    with transaction.atomic():
        if delegation.ended_at is None:
            delegation.ended_at = timezone.now()
            delegation.save(update_fields=["ended_at"])
        audit_record(actor=actor, action="delegation.end", obj=delegation, person_id=delegation.person_id, ip=ip)
    return delegation


def assisted_link_on_sign_in(*, account: Account) -> Person | None:
    """When a citizen first signs in with the phone of a person a volunteer assists (and has no
    "self" entry yet), that person becomes their "self": they see everything done for them.

    Only a person who agreed to the delegation by the code sent to this very phone is linked: the
    phone a volunteer typed proves nothing (a witnessed consent, a code still pending, or a phone
    changed since), and linking on it would hand a stranger's record — and the volunteer's access
    to everything that stranger then declares — to whoever signs in with that number. Only a person
    without an account is linked, and only when exactly one matches, so a shared phone never hands
    one person's records to another.
    """
    if account.role != Role.CITIZEN or not account.phone_index:
        return None
    if HouseholdMembership.objects.filter(owner=account, relation=Relation.SELF).exists():
        return None
    candidates = list(
        Person.objects.filter(
            phone_index=account.phone_index, account__isnull=True,
            delegations__consent_method=ConsentMethod.CODE, delegations__consent_phone_index=account.phone_index,
        )
        .distinct()[:2]
    )
    if len(candidates) != 1:
        return None
    person = candidates[0]
    try:
        # A savepoint: losing a race here must never undo the sign-in around it.
        with transaction.atomic():
            if not Person.objects.filter(pk=person.pk, account__isnull=True).update(account=account):
                return None
            HouseholdMembership.objects.create(owner=account, person=person, relation=Relation.SELF)
            audit_record(actor=account, action="person.link_assisted", obj=person, person_id=person.pk)
            hooks_call("SELF_PERSON_ADDED_HOOKS", account=account, person_id=person.pk)
    except IntegrityError:
        return None
    return person
