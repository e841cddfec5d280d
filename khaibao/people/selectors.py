"""Reads about people and households."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import get_language

from khaibao.accounts.models import Account
from khaibao.accounts.phones import mask_phone
from khaibao.people.access import delegation_gives_access_q, is_active_volunteer
from khaibao.people.models import Delegation, HouseholdMembership, Person, Relation
from khaibao.places.names import country_name


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
            Delegation.objects.filter(delegation_gives_access_q(), volunteer=account)
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


_RELATION_LABELS: dict[str, Any] = dict(Relation.choices)


def _nationality_name(code: str | None) -> str:
    # The CLDR name the places app loaded into `places.Country` (places/loader.py), in the language
    # `Country.name` would pick — without a query per person (the household list, a volunteer's
    # assisted people: monitoring.selectors.assisted_dict).
    if not code:
        return ""
    return country_name(code, "vi" if (get_language() or "vi").startswith("vi") else "en")


def person_code_labels(person: Person) -> dict[str, str]:
    """The words beside a person's own codes, in the active language: `sex_label` and
    `nationality_name` — for every reader of a person (the API, the pages, the household's export)."""
    return {
        "sex_label": str(person.get_sex_display()),  # type: ignore[attr-defined]
        "nationality_name": _nationality_name(person.nationality_id),
    }


def person_public_dict(entry: HouseholdEntry) -> dict[str, Any]:
    """A person for API responses and pages: ID number and phone masked; each code with its
    label beside it (`sex_label`, `nationality_name`, `relation_label`: null with a null relation)."""
    person = entry.person
    ward = person.home_ward
    labels = person_code_labels(person)
    return {
        "id": person.pk,
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth,
        "birth_year": person.birth_year,
        "sex": person.sex,
        "sex_label": labels["sex_label"],
        "nationality": person.nationality_id,
        "nationality_name": labels["nationality_name"],
        "id_number": mask_id_number(person.id_number or "") or None,
        "phone": masked_phone(person.phone or "") or None,
        "ward_code": ward.code,
        "ward_name": ward.name,
        "province_code": ward.province_id,
        "province_name": ward.province.name,
        "street": person.street or "",
        "relation": entry.relation,
        "relation_label": None if entry.relation is None else str(_RELATION_LABELS.get(entry.relation, entry.relation)),
        "assisted": entry.assisted,
    }
