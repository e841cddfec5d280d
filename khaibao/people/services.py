"""Writes about people, households and delegations."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.audit.services import audit_record
from khaibao.core import crypto
from khaibao.core.errors import ServiceError
from khaibao.people.models import Delegation, HouseholdMembership, Person

ID_INDEX_PURPOSE = "id_number"


def id_number_index(id_number: str) -> str:
    return crypto.blind_index(id_number.strip().upper(), purpose=ID_INDEX_PURPOSE)


def household_person_add(
    *,
    actor: Account,
    owner: Account,
    relation: str,
    full_name: str,
    sex: str,
    home_ward_id: int,
    birth_year: int | None = None,
    date_of_birth: date | None = None,
    nationality_id: str = "VN",
    id_number: str = "",
    phone: str = "",
    street: str = "",
    ip: str = "",
) -> Person:
    """Create a person in `owner`'s household. Input is validated by the caller's schema/form.

    An ID number already registered (in any household) is refused without saying whose it is.
    """
    if birth_year is None:
        if date_of_birth is None:
            raise ServiceError(_("Give a date or year of birth."), fields={"birth_year": _("Required.")})
        birth_year = date_of_birth.year
    try:
        with transaction.atomic():
            person = Person.objects.create(
                full_name=full_name,
                date_of_birth=date_of_birth,
                birth_year=birth_year,
                sex=sex,
                nationality_id=nationality_id,
                id_number=id_number,
                id_number_index=id_number_index(id_number) if id_number else None,
                phone=phone,
                phone_index=phone_index(phone) if phone else "",
                home_ward_id=home_ward_id,
                street=street,
                account=owner if relation == "self" else None,
                created_by=actor,
            )
            HouseholdMembership.objects.create(owner=owner, person=person, relation=relation)
            audit_record(
                actor=actor, action="person.create", obj=person, person_id=person.pk, ip=ip,
                data={"relation": relation},
            )
    except IntegrityError as exc:
        if id_number and Person.objects.filter(id_number_index=id_number_index(id_number)).exists():
            raise ServiceError(
                _("This ID number is already registered. If this is a mistake, contact your ward health station."),
                code="duplicate_id_number",
                fields={"id_number": _("This ID number is already registered.")},
                status=409,
            ) from exc
        if relation == "self":
            raise ServiceError(
                _("Your household already has a 'self' entry."),
                code="duplicate_self",
                fields={"relation": _("Your household already has a 'self' entry.")},
                status=409,
            ) from exc
        raise
    return person


def delegation_start(*, actor: Account, volunteer: Account, person: Person, **extra: Any) -> Delegation:
    """Let `volunteer` declare for `person`; the person's consent is recorded now."""
    with transaction.atomic():
        delegation, _created = Delegation.objects.get_or_create(
            volunteer=volunteer, person=person, ended_at=None
        )
        audit_record(actor=actor, action="delegation.start", obj=delegation, person_id=person.pk)
    return delegation
