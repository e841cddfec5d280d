"""Writes about people, households and delegations.

Field names in errors are the API contract's (`full_name, date_of_birth, birth_year, sex,
nationality, id_number, phone, ward_code, street, relation`); the web forms use the same
names, so a ServiceError lands next to the right field in both interfaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ForeignObjectRel
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.audit.services import audit_record
from khaibao.core import crypto
from khaibao.core.errors import ServiceError
from khaibao.people import selectors
from khaibao.people import validators as v
from khaibao.people.models import Delegation, HouseholdMembership, Person, Relation
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
                from khaibao.monitoring.services import person_status_home_sync

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
