"""Who to call about a person who has no phone of their own (a child, an elderly parent, someone a
volunteer declares for): the household owners who declare for them and their active volunteers,
each labelled from the viewed person's side. Revealed only with the person's own ID number and
phone (`services.person_reveal`, one audited event), never on the masked page.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from khaibao.people.access import person_carers
from khaibao.people.models import HouseholdMembership, Person, Relation

HOUSEHOLD_OWNER, VOLUNTEER = "household_owner", "volunteer"


def contact_label(role: str) -> str:
    """A contact's role in words, from the side of the person whose case is read."""
    if role == HOUSEHOLD_OWNER:
        return _("Household owner — declares for this person")
    return _("Volunteer — declares for this person")


def family_contacts(person: Person) -> list[dict[str, Any]]:
    """The accounts that look after `person` other than their own (`people.access.person_carers`,
    the one owner of that rule: household owners, volunteers whose delegation gives access), with
    a phone, each as {"role", "label", "name", "phone", "account_id"}; household owners first."""
    carers = [a for a in person_carers(person) if a.pk != person.account_id and a.phone]
    if not carers:
        return []
    owner_ids = set(
        HouseholdMembership.objects.filter(person=person, owner__in=carers).values_list("owner_id", flat=True)
    )
    # The name an owner goes by in their own household (their "self" person), else the account's.
    own_names = dict(
        Person.objects.filter(account__in=carers).values_list("account_id", "full_name")
    )
    contacts = [
        {
            "role": HOUSEHOLD_OWNER if account.pk in owner_ids else VOLUNTEER,
            "name": own_names.get(account.pk) or account.display_name or "",
            "phone": account.phone,
            "account_id": account.pk,
        }
        for account in carers
    ]
    contacts.sort(key=lambda c: (c["role"] != HOUSEHOLD_OWNER, c["account_id"]))
    return [c | {"label": contact_label(c["role"])} for c in contacts]


def household_from_person_side(person: Person) -> list[dict[str, Any]]:
    """The members of every household `person` is in, each with how they stand to `person`: the
    household owner ("declares for this person") or the owner's relative ("Child of the household
    owner") — a membership's relation is the owner's, so on a child's page "Self" would name the
    parent. Ordered by household, then as added."""
    owners = HouseholdMembership.objects.filter(person=person).values("owner_id")
    rows = []
    for m in (
        HouseholdMembership.objects.filter(owner_id__in=owners)
        .select_related("person").order_by("owner_id", "created_at", "pk")
    ):
        this = m.person_id == person.pk
        relation_label = m.get_relation_display()  # type: ignore[attr-defined]
        if m.relation == Relation.SELF:
            side = _("This person — household owner") if this else _("Household owner — declares for this person")
        elif this:
            side = _("This person — %(relation)s of the household owner") % {"relation": relation_label}
        else:
            side = _("%(relation)s of the household owner") % {"relation": relation_label}
        rows.append({
            "full_name": m.person.full_name, "relation": m.relation, "relation_label": relation_label,
            "side_label": side, "is_owner": m.relation == Relation.SELF, "this_person": this,
        })
    return rows
