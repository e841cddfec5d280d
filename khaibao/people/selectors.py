"""Reads about people and households."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone

from khaibao.accounts.models import Account
from khaibao.accounts.phones import mask_phone
from khaibao.people.access import is_active_volunteer
from khaibao.people.models import CONSENTED, Delegation, HouseholdMembership, Person, Relation


@dataclass(frozen=True)
class HouseholdEntry:
    """A person as the signed-in citizen sees them: their relation, or assisted as a volunteer."""

    person: Person
    relation: str | None
    assisted: bool


def mask_id_number(value: str) -> str:
    """All but the last three characters hidden: responses never show a whole ID number."""
    if not value:
        return ""
    return "•" * max(len(value) - 3, 3) + value[-3:]


def masked_phone(value: str) -> str:
    return mask_phone(value) if value else ""


def household_entries(*, account: Account) -> list[HouseholdEntry]:
    """`account`'s household ("self" first, then in the order added) and, for a volunteer, the
    people they assist under an active delegation — the same people as
    `people.access.visible_people` gives a citizen. Two queries whatever the size.
    """
    memberships = (
        HouseholdMembership.objects.filter(owner=account)
        .select_related("person__home_ward__province")
        .annotate(is_self=Case(When(relation=Relation.SELF, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("is_self", "created_at", "pk")
    )
    entries = [HouseholdEntry(person=m.person, relation=m.relation, assisted=False) for m in memberships]
    if is_active_volunteer(account):
        seen = {e.person.pk for e in entries}
        delegations = (
            Delegation.objects.filter(volunteer=account, ended_at__isnull=True, consent_method__in=CONSENTED)
            .select_related("person__home_ward__province")
            .order_by("started_at", "pk")
        )
        entries += [
            HouseholdEntry(person=d.person, relation=None, assisted=True)
            for d in delegations if d.person.pk not in seen
        ]
    return entries


def household_entry(*, account: Account, person: Person) -> HouseholdEntry:
    """How `person` (already checked through people.access) stands to `account`."""
    membership = HouseholdMembership.objects.filter(owner=account, person=person).first()
    if membership is not None:
        return HouseholdEntry(person=person, relation=membership.relation, assisted=False)
    return HouseholdEntry(person=person, relation=None, assisted=True)


def person_public_dict(entry: HouseholdEntry) -> dict[str, Any]:
    """A person for API responses and pages: ID number and phone masked."""
    person = entry.person
    ward = person.home_ward
    return {
        "id": person.pk,
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "birth_year": person.birth_year,
        "sex": person.sex,
        "nationality": person.nationality_id,
        "id_number": mask_id_number(person.id_number or "") or None,
        "phone": masked_phone(person.phone or "") or None,
        "ward_code": ward.code,
        "ward_name": ward.name,
        "province_code": ward.province_id,
        "province_name": ward.province.name,
        "street": person.street or "",
        "relation": entry.relation,
        "assisted": entry.assisted,
    }


def _status_dict(person: Person) -> dict[str, Any] | None:
    status = getattr(person, "status", None)
    if status is None:
        return None
    return {
        field.name: getattr(status, field.attname)
        for field in status._meta.concrete_fields
        if field.name != "person"
    }


def household_export_data(*, account: Account) -> dict[str, Any]:
    """Everything stored about `account` and its household, unmasked (it is their own data).

    People assisted as a volunteer are not included: their data belongs to them, not to the
    volunteer's account.
    """
    memberships = (
        HouseholdMembership.objects.filter(owner=account)
        .select_related("person__home_ward__province", "person__status")
        .order_by("created_at", "pk")
    )
    # Imported here: those apps build on people, so a module-level import would be circular.
    from khaibao.declarations.selectors import declarations_for_export
    from khaibao.monitoring.selectors import updates_for_export

    people = []
    for membership in memberships:
        person = membership.person
        ward = person.home_ward
        item: dict[str, Any] = {
            "id": person.pk,
            "relation": membership.relation,
            "full_name": person.full_name,
            "date_of_birth": person.date_of_birth,
            "birth_year": person.birth_year,
            "sex": person.sex,
            "nationality": person.nationality_id,
            "id_number": person.id_number or "",
            "phone": person.phone or "",
            "ward_code": ward.code,
            "ward_name": ward.name,
            "province_code": ward.province_id,
            "province_name": ward.province.name,
            "street": person.street or "",
            "added_at": membership.created_at,
            "status": _status_dict(person),
        }
        item["declarations"] = declarations_for_export(person)
        item["daily_updates"] = updates_for_export(person)
        people.append(item)
    return {
        "format": "khaibao-household-export/1",
        "exported_at": timezone.now(),
        "account": {
            "phone": account.phone or "",
            "display_name": account.display_name,
            "date_joined": account.date_joined,
        },
        "people": people,
    }


def export_json(data: dict[str, Any]) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


@dataclass(frozen=True)
class AssistedEntry:
    """A person a volunteer assists, for the volunteer's page."""

    delegation: Delegation
    person: Person
    pending: bool
    updated_today: bool


def volunteer_assisted(*, account: Account) -> list[AssistedEntry]:
    """The people `account` assists (not ended), pending consent included, with whether today's
    daily update (Asia/Ho_Chi_Minh date) is in. Two queries whatever the number."""
    from khaibao.monitoring.models import DailyUpdate
    from khaibao.people.access import is_active_volunteer

    if not is_active_volunteer(account):
        return []  # a revoked or expired volunteer no longer sees the people they assisted
    delegations = list(
        Delegation.objects.filter(volunteer=account, ended_at__isnull=True)
        .select_related("person__home_ward__province").order_by("started_at", "pk")
    )
    done = set(
        DailyUpdate.objects.filter(
            person_id__in=[d.person_id for d in delegations], day=timezone.localdate()
        ).values_list("person_id", flat=True)
    )
    return [
        AssistedEntry(delegation=d, person=d.person, pending=d.consent_method not in CONSENTED,
                      updated_today=d.person_id in done)
        for d in delegations
    ]


def assisted_dict(entry: AssistedEntry) -> dict[str, Any]:
    """An assisted person for the API: masked like person_public_dict, plus the consent."""
    d = entry.delegation
    return {
        "id": d.pk,
        "person": person_public_dict(HouseholdEntry(person=entry.person, relation=None, assisted=True)),
        "consent_method": d.consent_method or None,
        "consent_witness": d.consent_witness or None,
        "consent_recorded_at": None if entry.pending else d.consent_recorded_at,
        "pending": entry.pending,
        "updated_today": entry.updated_today,
    }


def appointment_dict(appointment: Any) -> dict[str, Any]:
    """An appointment for the console and API; the volunteer's phone masked."""
    account = appointment.account
    return {
        "id": appointment.pk,
        "account_id": account.pk,
        "display_name": account.display_name,
        "phone": masked_phone(account.phone or "") or None,
        "org_unit_id": appointment.org_unit_id,
        "ward_code": appointment.ward_id,
        "starts_at": appointment.starts_at,
        "expires_at": appointment.expires_at,
        "revoked_at": appointment.revoked_at,
        "active": appointment.is_active(),
    }


def appointable_units(user: Any) -> list[Any]:
    """The (not archived) organisation units of an org admin's subtree, for the appointment form."""
    from khaibao.orgs.models import OrgUnit

    if getattr(user, "role", None) != "org_admin" or not user.org_unit_id:
        return []
    path = user.org_unit.path
    return list(
        OrgUnit.objects.filter(archived_at__isnull=True)
        .filter(Q(path=path) | Q(path__startswith=path + "/")).order_by("path")[:1000]
    )
