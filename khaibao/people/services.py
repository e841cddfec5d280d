"""Writes about people, households and delegations.

Field names in errors are the API contract's (`full_name, date_of_birth, birth_year, sex,
nationality, id_number, phone, ward_code, street, relation`); the web forms use the same
names, so a ServiceError lands next to the right field in both interfaces.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ForeignObjectRel, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.access import is_active_volunteer
from khaibao.accounts.models import Account, OtpChallenge, Role, ScopeLevel
from khaibao.accounts.phones import phone_index
from khaibao.accounts.sms import send_sms
from khaibao.audit.services import audit_record
from khaibao.core import crypto
from khaibao.core.errors import ServiceError
from khaibao.people import selectors
from khaibao.people import validators as v
from khaibao.people.models import (
    ConsentMethod,
    Delegation,
    HouseholdMembership,
    Person,
    Relation,
    VolunteerAppointment,
    active_appointments_q,
)
from khaibao.places.models import Country, Ward

ID_INDEX_PURPOSE = "id_number"

PERSON_FIELDS = (
    "full_name", "date_of_birth", "birth_year", "sex", "nationality",
    "id_number", "phone", "ward_code", "street", "relation",
)


def id_number_index(id_number: str) -> str:
    return crypto.blind_index(id_number.strip().upper(), purpose=ID_INDEX_PURPOSE)


def _messages(exc: ValidationError, field: str) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {name: errors[0].messages[0] for name, errors in exc.error_dict.items()}
    return {field: exc.messages[0]}


def _clean_each(values: Mapping[str, Any], today: date) -> tuple[dict[str, Any], dict[str, str]]:
    cleaners: dict[str, Any] = {
        "full_name": v.clean_full_name,
        "street": v.clean_street,
        "date_of_birth": lambda x: None if x is None else v.clean_date_of_birth(x, today=today),
        "birth_year": lambda x: None if x is None else v.clean_birth_year(x, today=today),
        "id_number": v.clean_id_number,
        "phone": v.clean_phone,
        "nationality": v.clean_nationality,
        "sex": v.clean_sex,
        "relation": v.clean_relation,
        "ward_code": lambda x: x,
    }
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in values.items():
        if name not in cleaners:
            errors[name] = _("Unknown field.")
            continue
        try:
            cleaned[name] = cleaners[name](value)
        except ValidationError as exc:
            errors.update(_messages(exc, name))
    return cleaned, errors


def _current_values(person: Person) -> dict[str, Any]:
    return {
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "birth_year": person.birth_year,
        "sex": person.sex,
        "nationality": person.nationality_id,
        "id_number": person.id_number or "",
        "phone": person.phone or "",
        "ward_code": person.home_ward_id,
        "street": person.street or "",
    }


def _validated(
    values: Mapping[str, Any], *, current: dict[str, Any] | None, owner_self: Person | None
) -> dict[str, Any]:
    """`values` cleaned and merged over `current` (None when creating), or ServiceError(400)
    listing every field that is wrong. Nothing is written here."""
    today = timezone.localdate()
    cleaned, errors = _clean_each(values, today)
    merged: dict[str, Any] = {**(current or {}), **cleaned}
    creating = current is None

    # A new date of birth alone carries its year with it; a new year alone must still agree
    # with a kept date of birth (send date_of_birth: null to keep only the year).
    if cleaned.get("date_of_birth") is not None and "birth_year" not in values:
        merged["birth_year"] = cleaned["date_of_birth"].year
    if not {"date_of_birth", "birth_year"} & errors.keys():
        try:
            merged["birth_year"] = v.resolve_birth_year(merged.get("date_of_birth"), merged.get("birth_year"))
        except ValidationError as exc:
            errors.update(_messages(exc, "date_of_birth"))
        else:
            if "id_number" not in errors:
                try:
                    v.check_id_number_required(
                        merged.get("id_number", ""), date_of_birth=merged.get("date_of_birth"),
                        birth_year=merged["birth_year"], today=today,
                    )
                except ValidationError as exc:
                    errors.update(_messages(exc, "id_number"))

    if creating:
        merged.setdefault("nationality", "VN")
        merged.setdefault("id_number", "")
        merged.setdefault("phone", "")
        # The home address defaults to the owner's own: most families live together.
        if merged.get("ward_code") is None and "ward_code" not in errors and owner_self is not None:
            merged["ward_code"] = owner_self.home_ward_id
        if "street" not in values:
            same_ward = owner_self is not None and merged.get("ward_code") == owner_self.home_ward_id
            merged["street"] = owner_self.street if same_ward and owner_self else ""
    if "ward_code" not in errors:
        code = merged.get("ward_code")
        if code is None:
            errors["ward_code"] = (
                _("Choose the home ward.") if owner_self is not None or not creating
                else _("Choose the home ward (add yourself first to use your address for your family).")
            )
        elif (
            not isinstance(code, int) or not 0 < code < 2**31 or not Ward.objects.filter(code=code).exists()
        ):
            errors["ward_code"] = _("This ward does not exist. Choose a ward from the list.")
    if "nationality" not in errors and "nationality" in merged and (
        not Country.objects.filter(code=merged["nationality"]).exists()
    ):
        errors["nationality"] = _("Unknown country code.")

    if errors:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=errors)
    return merged


def _duplicate_id_error() -> ServiceError:
    # The message must not reveal whose number it is, nor in which household.
    return ServiceError(
        _("This ID number is already registered. If this is a mistake, contact your ward health station."),
        code="duplicate_id_number",
        fields={"id_number": _("This ID number is already registered.")},
        status=409,
    )


def _duplicate_self_error() -> ServiceError:
    return ServiceError(
        _("Your household already has a 'self' entry."),
        code="duplicate_self",
        fields={"relation": _("Your household already has a 'self' entry.")},
        status=409,
    )


def _id_taken(id_number: str, *, other_than: int | None = None) -> bool:
    if not id_number:
        return False
    qs = Person.objects.filter(id_number_index=id_number_index(id_number))
    if other_than is not None:
        qs = qs.exclude(pk=other_than)
    return qs.exists()


def owner_self_person(owner: Account) -> Person | None:
    """The person who is `owner` in their own household (relation "self"), if added yet."""
    membership = (
        HouseholdMembership.objects.filter(owner=owner, relation=Relation.SELF).select_related("person").first()
    )
    return membership.person if membership else None


def _self_added(account: Account, person: Person) -> None:
    """Whatever waited for the account's own person: roster lines confirmed before it existed."""
    from khaibao.orgs.services import members_attach_self  # orgs builds on people, not the reverse

    members_attach_self(account=account, person_id=person.pk)


def household_person_add(
    *,
    actor: Account,
    owner: Account,
    relation: str,
    full_name: str,
    sex: str,
    home_ward_id: int | None = None,
    birth_year: int | None = None,
    date_of_birth: date | None = None,
    nationality_id: str = "VN",
    id_number: str = "",
    phone: str = "",
    street: str | None = None,
    ip: str = "",
) -> Person:
    """Create a person in `owner`'s household, after checking every field (people.validators).

    The home ward and street default to the owner's own ("self") person when not given
    (`home_ward_id=None`, `street=None`); the street is only copied when the ward is the same.
    An ID number already registered anywhere is refused with 409 without saying whose it is.
    All errors are ServiceError with field messages; nothing is written on error.
    """
    values: dict[str, Any] = {
        "relation": relation, "full_name": full_name, "sex": sex, "ward_code": home_ward_id,
        "birth_year": birth_year, "date_of_birth": date_of_birth, "nationality": nationality_id,
        "id_number": id_number, "phone": phone,
    }
    if street is not None:
        values["street"] = street
    clean = _validated(values, current=None, owner_self=owner_self_person(owner))
    if clean["relation"] == Relation.SELF and HouseholdMembership.objects.filter(
        owner=owner, relation=Relation.SELF
    ).exists():
        raise _duplicate_self_error()
    if _id_taken(clean["id_number"]):
        raise _duplicate_id_error()
    try:
        with transaction.atomic():
            person = Person.objects.create(
                full_name=clean["full_name"],
                date_of_birth=clean["date_of_birth"],
                birth_year=clean["birth_year"],
                sex=clean["sex"],
                nationality_id=clean["nationality"],
                id_number=clean["id_number"],
                id_number_index=id_number_index(clean["id_number"]) if clean["id_number"] else None,
                phone=clean["phone"],
                phone_index=phone_index(clean["phone"]) if clean["phone"] else "",
                home_ward_id=clean["ward_code"],
                street=clean["street"],
                account=owner if clean["relation"] == Relation.SELF else None,
                created_by=actor,
            )
            HouseholdMembership.objects.create(owner=owner, person=person, relation=clean["relation"])
            audit_record(
                actor=actor, action="person.create", obj=person, person_id=person.pk, ip=ip,
                data={"relation": clean["relation"]},
            )
            if clean["relation"] == Relation.SELF:
                _self_added(owner, person)
    except IntegrityError as exc:
        # Lost a race with a concurrent request: report it like the checks above would have.
        if _id_taken(clean["id_number"]):
            raise _duplicate_id_error() from exc
        if clean["relation"] == Relation.SELF:
            raise _duplicate_self_error() from exc
        raise
    return person


def household_person_update(*, actor: Account, person: Person, changes: Mapping[str, Any], ip: str = "") -> Person:
    """Change some fields of a person `actor` declares for (access checked by the caller).

    `changes` uses the contract's field names; absent keys stay as they are, `None` clears an
    optional field (date_of_birth, birth_year, id_number, phone, street). The whole result is
    validated as if new (e.g. an adult must still have an ID number). `relation` belongs to
    the actor's household: it can change between family relations, but never to or from
    "self", and not at all for a person the actor only assists as a volunteer.
    """
    changes = dict(changes)
    for optional in ("id_number", "phone", "street"):
        if optional in changes and changes[optional] is None:
            changes[optional] = ""
    membership = HouseholdMembership.objects.filter(owner=actor, person=person).first()
    relation_given = "relation" in changes
    relation = changes.pop("relation", None)
    relation_error: dict[str, str] = {}
    if relation_given:
        if membership is None:
            relation_error["relation"] = _("You assist this person; they have no relation in your household.")
        elif relation != membership.relation and Relation.SELF in (relation, membership.relation):
            relation_error["relation"] = _("The 'self' entry cannot change. Remove it and add it again instead.")
        else:
            try:
                v.clean_relation(relation)
            except ValidationError as exc:
                relation_error["relation"] = exc.messages[0]
    try:
        clean = _validated(changes, current=_current_values(person), owner_self=None)
    except ServiceError as exc:
        exc.fields.update(relation_error)
        raise
    if relation_error:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=relation_error)
    if "id_number" in changes and _id_taken(clean["id_number"], other_than=person.pk):
        raise _duplicate_id_error()

    before = _current_values(person)
    changed = sorted(name for name in before if clean.get(name) != before[name])
    person.full_name = clean["full_name"]
    person.date_of_birth = clean["date_of_birth"]
    person.birth_year = clean["birth_year"]
    person.sex = clean["sex"]
    person.nationality_id = clean["nationality"]
    person.id_number = clean["id_number"]
    person.id_number_index = id_number_index(clean["id_number"]) if clean["id_number"] else None
    person.phone = clean["phone"]
    person.phone_index = phone_index(clean["phone"]) if clean["phone"] else ""
    person.home_ward_id = clean["ward_code"]
    person.street = clean["street"]
    try:
        with transaction.atomic():
            person.save()
            if "ward_code" in changed:
                # Imported here: monitoring builds on people. Keeps the officials' queue in the new ward.
                from khaibao.monitoring.assessment import person_status_home_sync

                person_status_home_sync(person)
            if membership is not None and relation is not None and relation != membership.relation:
                membership.relation = relation
                membership.save(update_fields=["relation"])
                changed.append("relation")
            # Field names only: the audit trail never holds the personal data itself.
            audit_record(
                actor=actor, action="person.update", obj=person, person_id=person.pk, ip=ip,
                data={"fields": changed},
            )
    except IntegrityError as exc:
        if _id_taken(clean["id_number"], other_than=person.pk):
            raise _duplicate_id_error() from exc
        raise
    return person


# Rows that only mirror other data (PersonStatus is derived from declarations and updates)
# or that this service itself manages do not, alone, keep a person.
_NOT_HISTORY = {("people", "householdmembership"), ("people", "delegation"), ("monitoring", "personstatus")}


def _has_history(person: Person) -> bool:
    for rel in person._meta.related_objects:
        if not isinstance(rel, ForeignObjectRel) or not (rel.one_to_many or rel.one_to_one):
            continue
        model: Any = rel.related_model
        if (model._meta.app_label, model._meta.model_name) in _NOT_HISTORY:
            continue
        if model._default_manager.filter(**{rel.field.name: person}).exists():
            return True
    return False


def household_person_remove(*, actor: Account, person: Person, ip: str = "") -> str:
    """Take `person` out of `actor`'s household (or end `actor`'s delegation for them).

    Returns "deleted" or "kept". The Person row is kept when it is still somebody's concern:
    another household or an active volunteer still declares for them, or any history refers
    to them (declarations, daily updates, follow-up by officials — anything but the derived
    status row). Health history must outlive a household edit: officials may be following
    the person up, and retention rules, not a citizen's click, decide when it goes. A person
    with no such ties is deleted outright (data minimisation: nobody could reach the row any
    more). A kept "self" person is unlinked from the account, so the owner can add themselves
    again.
    """
    with transaction.atomic():
        membership = HouseholdMembership.objects.filter(owner=actor, person=person).first()
        if membership is not None:
            relation = membership.relation
            membership.delete()
        else:
            ended = Delegation.objects.filter(volunteer=actor, person=person, ended_at__isnull=True).update(
                ended_at=timezone.now()
            )
            if not ended:
                raise ServiceError(_("This person is not in your household."), code="not_in_household", status=404)
            relation = "assisted"
        keep = (
            person.households.exists()
            or person.delegations.filter(ended_at__isnull=True).exists()
            or _has_history(person)
        )
        outcome = "kept" if keep else "deleted"
        audit_record(
            actor=actor, action="household.person_remove", obj=person, person_id=person.pk, ip=ip,
            data={"relation": relation, "outcome": outcome},
        )
        if keep:
            if person.account_id == actor.pk:
                person.account = None
                person.save(update_fields=["account", "updated_at"])
        else:
            person.delete()
    return outcome


def household_export(*, actor: Account, ip: str = "") -> dict[str, Any]:
    """The data-subject export ("download my data") of `actor`'s household, audited.

    The audit event names the people exported by id only.
    """
    with transaction.atomic():
        data = selectors.household_export_data(account=actor)
        audit_record(
            actor=actor, action="household.export", obj=actor, ip=ip,
            data={"person_ids": [p["id"] for p in data["people"]]},
        )
    return data


def delegation_start(*, actor: Account, volunteer: Account, person: Person, **extra: Any) -> Delegation:
    """Let `volunteer` declare for `person`; the person's consent is recorded now."""
    with transaction.atomic():
        delegation, _created = Delegation.objects.get_or_create(
            volunteer=volunteer, person=person, ended_at=None
        )
        audit_record(actor=actor, action="delegation.start", obj=delegation, person_id=person.pk)
    return delegation


# --- Volunteers (issue 7) -------------------------------------------------------------------

APPOINTMENT_MAX_DAYS = 366
CONSENT_CODE_TTL = timedelta(minutes=5)
CONSENT_MAX_ATTEMPTS = 5
CONSENT_METHODS = (ConsentMethod.CODE, ConsentMethod.WITNESSED)


def _consent_key(delegation: Delegation) -> str:
    # Its own purpose: a consent code can never be used to sign in, nor a sign-in code here.
    return crypto.blind_index(f"delegation:{delegation.pk}", purpose="consent-otp")


def _consent_hash(key: str, code: str) -> str:
    return crypto.blind_index(f"{key}:{code}", purpose="consent-otp")


def volunteer_appoint(
    *, actor: Account, phone: str, expires_at: datetime, org_unit_id: int | None = None, ip: str = ""
) -> VolunteerAppointment:
    """Make the citizen whose account has exactly `phone` a volunteer until `expires_at`.

    An organisation admin appoints for a unit of their subtree (default: their own unit; a
    unit outside it is 404); a ward health official appoints for their ward. Anyone else: 403.
    """
    from khaibao.orgs.models import OrgUnit

    org_unit: OrgUnit | None = None
    ward_id: int | None = None
    if actor.role == Role.ORG_ADMIN and actor.org_unit_id:
        root = actor.org_unit
        assert root is not None
        unit_id = org_unit_id or root.pk
        org_unit = (
            OrgUnit.objects.filter(Q(path=root.path) | Q(path__startswith=root.path + "/"), pk=unit_id)
            .filter(archived_at__isnull=True).first()
        )
        if org_unit is None:
            raise Http404
    elif actor.role == Role.OFFICIAL and actor.scope_level == ScopeLevel.WARD and actor.scope_ward_id:
        ward_id = actor.scope_ward_id
    else:
        raise ServiceError(_("Only organisation admins and ward health officials appoint volunteers."),
                           code="forbidden", status=403)
    errors: dict[str, str] = {}
    citizen: Account | None = None
    try:
        normalised = v.clean_phone(phone)
    except ValidationError as exc:
        errors["phone"] = exc.messages[0]
    else:
        citizen = Account.objects.filter(
            phone_index=phone_index(normalised), role=Role.CITIZEN, is_active=True
        ).first() if normalised else None
        if citizen is None:
            errors["phone"] = _("No citizen has signed in with this phone number yet.")
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = _("The expiry must be in the future.")
    elif expires_at > now + timedelta(days=APPOINTMENT_MAX_DAYS):
        errors["expires_at"] = _("A volunteer is appointed for at most one year at a time.")
    if errors:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=errors)
    assert citizen is not None
    with transaction.atomic():
        appointment = VolunteerAppointment.objects.create(
            account=citizen, appointed_by=actor, org_unit=org_unit, ward_id=ward_id,
            starts_at=now, expires_at=expires_at,
        )
        if not citizen.is_volunteer:
            citizen.is_volunteer = True
            citizen.save(update_fields=["is_volunteer"])
        audit_record(actor=actor, action="volunteer.appoint", obj=appointment, ip=ip,
                     data={"account_id": citizen.pk, "org_unit_id": appointment.org_unit_id, "ward_id": ward_id})
    return appointment


def volunteer_revoke(*, actor: Account, appointment: VolunteerAppointment, ip: str = "") -> VolunteerAppointment:
    """End `appointment` now (access checked by the caller); the volunteer's delegations stop
    counting at once unless another appointment is still in force."""
    with transaction.atomic():
        if appointment.revoked_at is None:
            appointment.revoked_at = timezone.now()
            appointment.revoked_by = actor
            appointment.save(update_fields=["revoked_at", "revoked_by"])
        account = appointment.account
        still = VolunteerAppointment.objects.filter(active_appointments_q(), account=account).exists()
        if account.is_volunteer and not still:
            account.is_volunteer = False
            account.save(update_fields=["is_volunteer"])
        audit_record(actor=actor, action="volunteer.revoke", obj=appointment, ip=ip,
                     data={"account_id": account.pk})
    return appointment


def _send_consent_code(delegation: Delegation, phone: str, volunteer_name: str) -> None:
    key = _consent_key(delegation)
    now = timezone.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    OtpChallenge.objects.filter(phone_index=key, consumed_at__isnull=True).update(consumed_at=now)
    OtpChallenge.objects.create(
        phone_index=key, code_hash=_consent_hash(key, code), created_at=now, expires_at=now + CONSENT_CODE_TTL,
    )
    body = _(
        "Khai Bao: volunteer %(volunteer)s asks to declare your health for you. If you agree, give them "
        "this code: %(code)s (valid %(minutes)s minutes)."
    ) % {"volunteer": volunteer_name, "code": code, "minutes": int(CONSENT_CODE_TTL.total_seconds()) // 60}
    transaction.on_commit(lambda: send_sms(to=phone, body=body), robust=True)


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
    extra: dict[str, str] = {}
    witness = ""
    if consent_method not in CONSENT_METHODS:
        extra["consent_method"] = _("Choose a one-time code to their phone, or witnessed verbal consent.")
    elif consent_method == ConsentMethod.CODE and not (phone or "").strip():
        extra["phone"] = _("A code can only be sent to the person's own phone. Give it, or record witnessed consent.")
    elif consent_method == ConsentMethod.WITNESSED:
        if not attested:
            extra["attested"] = _("Confirm that the person agreed in front of you and the witness.")
        try:
            witness = v.clean_full_name(witness_name)
        except ValidationError as exc:
            extra["witness_name"] = exc.messages[0]
    try:
        clean = _validated(values, current=None, owner_self=None)
    except ServiceError as exc:
        exc.fields.update(extra)
        raise
    if consent_method == ConsentMethod.CODE and clean["phone"] and phone_index(clean["phone"]) == actor.phone_index:
        # The code proves the person's own agreement: it must not reach the volunteer.
        extra["phone"] = _("This is your own phone. The code must go to the person's own phone.")
    if extra:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=extra)
    if _id_taken(clean["id_number"]):
        raise _duplicate_id_error()
    now = timezone.now()
    witnessed = consent_method == ConsentMethod.WITNESSED
    try:
        with transaction.atomic():
            person = Person.objects.create(
                full_name=clean["full_name"], date_of_birth=clean["date_of_birth"], birth_year=clean["birth_year"],
                sex=clean["sex"], nationality_id=clean["nationality"], id_number=clean["id_number"],
                id_number_index=id_number_index(clean["id_number"]) if clean["id_number"] else None,
                phone=clean["phone"], phone_index=phone_index(clean["phone"]) if clean["phone"] else "",
                home_ward_id=clean["ward_code"], street=clean["street"], created_by=actor,
            )
            delegation = Delegation.objects.create(
                volunteer=actor, person=person, started_at=now, consent_recorded_at=now,
                consent_method=ConsentMethod.WITNESSED if witnessed else ConsentMethod.PENDING_CODE,
                consent_witness=witness, consent_attested_at=now if witnessed else None,
            )
            audit_record(actor=actor, action="person.create", obj=person, person_id=person.pk, ip=ip,
                         data={"relation": "assisted"})
            audit_record(actor=actor, action="delegation.start", obj=delegation, person_id=person.pk, ip=ip,
                         data={"consent_method": consent_method})
            if not witnessed:
                _send_consent_code(delegation, clean["phone"], actor.display_name or _("a volunteer"))
    except IntegrityError as exc:
        if _id_taken(clean["id_number"]):
            raise _duplicate_id_error() from exc
        raise
    return delegation


def assisted_consent_resend(*, actor: Account, delegation: Delegation, ip: str = "") -> None:
    """A fresh consent code for a pending delegation (the older code stops working)."""
    if delegation.consent_method != ConsentMethod.PENDING_CODE:
        raise ServiceError(_("Consent is already recorded."), code="already_confirmed", status=409)
    with transaction.atomic():
        _send_consent_code(delegation, delegation.person.phone, actor.display_name or _("a volunteer"))
        audit_record(actor=actor, action="delegation.consent_code_sent", obj=delegation,
                     person_id=delegation.person_id, ip=ip)


def assisted_consent_confirm(*, actor: Account, delegation: Delegation, code: str, ip: str = "") -> Delegation:
    """Record consent by the code sent to the assisted person's phone: 6 digits, 5 minutes,
    at most 5 guesses (counted with a conditional UPDATE, as for sign-in codes)."""
    if delegation.consent_method != ConsentMethod.PENDING_CODE:
        raise ServiceError(_("Consent is already recorded."), code="already_confirmed", status=409)
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise ServiceError(_("The code has 6 digits."), code="invalid_code", fields={"code": _("The code has 6 digits.")})
    key = _consent_key(delegation)
    now = timezone.now()
    ok = False
    # No exception may leave this block after the attempt counter moved (see accounts.otp).
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.filter(phone_index=key, consumed_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at").first()
        )
        claimed = challenge is not None and OtpChallenge.objects.filter(
            pk=challenge.pk, consumed_at__isnull=True, attempts__lt=CONSENT_MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
        if (
            challenge is not None and claimed
            and hmac.compare_digest(challenge.code_hash, _consent_hash(key, code))
            and OtpChallenge.objects.filter(pk=challenge.pk, consumed_at__isnull=True).update(consumed_at=now)
        ):
            Delegation.objects.filter(pk=delegation.pk).update(
                consent_method=ConsentMethod.CODE, consent_recorded_at=now
            )
            audit_record(actor=actor, action="delegation.consent_code", obj=delegation,
                         person_id=delegation.person_id, ip=ip)
            ok = True
    if not ok:
        raise ServiceError(
            _("The code is wrong or has expired. Ask for a new code."), code="invalid_code",
            fields={"code": _("The code is wrong or has expired.")},
        )
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

    Only a person without an account is linked, and only when exactly one matches, so a
    shared phone never hands one person's records to another.
    """
    if account.role != Role.CITIZEN or not account.phone_index:
        return None
    if HouseholdMembership.objects.filter(owner=account, relation=Relation.SELF).exists():
        return None
    candidates = list(
        Person.objects.filter(phone_index=account.phone_index, account__isnull=True, delegations__isnull=False)
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
            _self_added(account, person)
    except IntegrityError:
        return None
    return person
