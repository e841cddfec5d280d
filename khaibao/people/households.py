"""Households: the people an account declares for (itself, its family), added, changed and
removed by the household owner; a traced contact's record becoming the citizen's own "self"
(`traced_contact_to_claim`). The rules of a person's fields are in people/persons.py.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, ForeignObjectRel, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.core.hooks import hooks_call
from khaibao.people import validators as v
from khaibao.people.access import delegations_giving_access
from khaibao.people.limits import household_room_check
from khaibao.people.models import Delegation, HouseholdMembership, Person, Relation
from khaibao.people.persons import (
    id_number_attempt,
    id_number_duplicate_review,
    id_number_index,
    person_current_values,
    person_fields_apply,
    person_fields_problems,
    person_fields_validate,
)


def _duplicate_self_error() -> ServiceError:
    return ServiceError(
        _("Your household already has a 'self' entry."),
        code="duplicate_self",
        fields={"relation": _("Your household already has a 'self' entry.")},
        status=409,
    )


def owner_self_person(owner: Account) -> Person | None:
    """The person who is `owner` in their own household (relation "self"), if added yet."""
    membership = (
        HouseholdMembership.objects.filter(owner=owner, relation=Relation.SELF).select_related("person").first()
    )
    return membership.person if membership else None


def traced_contact_to_claim(*, account: Account, id_number: str) -> Person | None:
    """The record contact tracing keeps of `account`'s holder, which their "self" entry becomes
    instead of a new person — so what they declare reaches the record officials follow up — or
    None: then the add goes on as for anyone.

    Two facts must agree, as a typed number alone proves nothing: the ID number the citizen gives
    for themselves is the record's, and the record's phone is the one the account signed in with
    (proven by the sign-in code; the invitation asks exactly this). The record must be a traced
    contact — a tracing `Contact` names it, read through Person's reverse relation `traced_from`
    because people never imports tracing, a layer above — and nobody's yet: no account, in no
    household, assisted by no volunteer (that hand-over is people/volunteers.py's), its
    processing not stopped (a traced contact always has its status row, which
    privacy.erasure.processing_stop deletes; an erased person has no ID index left). Only when
    exactly one record fits, so a duplicate never hands over the wrong one.
    """
    if account.role != Role.CITIZEN or not account.phone_index or not id_number:
        return None
    candidates = list(
        Person.objects.filter(
            id_number_index=id_number_index(id_number), phone_index=account.phone_index,
            account__isnull=True, households__isnull=True, traced_from__isnull=False, status__isnull=False,
        )
        .exclude(pk__in=Delegation.objects.filter(ended_at__isnull=True).values("person_id"))
        .values_list("pk", flat=True)
        .distinct()[:2]
    )
    if len(candidates) != 1:
        return None
    return Person.objects.get(pk=candidates[0])


def _traced_contact_claim(*, actor: Account, owner: Account, person: Person, clean: dict[str, Any], ip: str) -> Person:
    """Inside the add's transaction: `person` (from `traced_contact_to_claim`) becomes `owner`'s
    "self" with the fields the citizen typed; its status, contact level and follow-up stay."""
    # On the row, not the copy read before the transaction: a concurrent add of "self" loses.
    if not Person.objects.filter(pk=person.pk, account__isnull=True).update(account=owner):
        raise _duplicate_self_error()
    if not clean["phone"]:
        # The phone on record is the account's own (the claim required it): officials call it.
        clean = {**clean, "phone": person.phone}
    moved = person.home_ward_id != clean["ward_code"]
    person.account = owner
    person_fields_apply(person, clean)
    person.save()
    HouseholdMembership.objects.create(owner=owner, person=person, relation=Relation.SELF)
    if moved:
        # Whatever follows the home ward (e.g. the officials' queue moves the person along).
        hooks_call("PERSON_HOME_MOVED_HOOKS", person=person)
    # Ids only: which record became whose is all the trail needs.
    audit_record(actor=actor, action="person.claimed_traced", obj=person, person_id=person.pk, ip=ip)
    return person


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
    An ID number another person already holds is accepted like any other and handed to the
    officials' review (`persons.id_number_duplicate_review`): the answer never tells whether a
    number is registered. Attempts with an ID number are limited per account (429, audited).
    The owner adding themselves with the ID number and phone of a traced contact's record gets
    that record as their "self" (`traced_contact_to_claim`), answered like any other add.
    All errors are ServiceError with field messages; nothing is written on error.
    """
    values: dict[str, Any] = {
        "relation": relation, "full_name": full_name, "sex": sex, "ward_code": home_ward_id,
        "birth_year": birth_year, "date_of_birth": date_of_birth, "nationality": nationality_id,
        "id_number": id_number, "phone": phone,
    }
    if street is not None:
        values["street"] = street
    id_number_attempt(actor=actor, id_number=id_number, ip=ip)
    clean = person_fields_validate(values, current=None, owner_self=owner_self_person(owner))
    if clean["relation"] == Relation.SELF and HouseholdMembership.objects.filter(
        owner=owner, relation=Relation.SELF
    ).exists():
        raise _duplicate_self_error()
    claimed = (
        traced_contact_to_claim(account=owner, id_number=clean["id_number"])
        if clean["relation"] == Relation.SELF and actor.pk == owner.pk else None
    )
    try:
        with transaction.atomic():
            household_room_check(owner)
            if claimed is not None:
                # The record already holds this ID number: no duplicate to review.
                person = _traced_contact_claim(actor=actor, owner=owner, person=claimed, clean=clean, ip=ip)
            else:
                person = Person(account=owner if clean["relation"] == Relation.SELF else None, created_by=actor)
                person_fields_apply(person, clean)
                person.save(force_insert=True)
                HouseholdMembership.objects.create(owner=owner, person=person, relation=clean["relation"])
                audit_record(
                    actor=actor, action="person.create", obj=person, person_id=person.pk, ip=ip,
                    data={"relation": clean["relation"]},
                )
                id_number_duplicate_review(actor=actor, person=person, ip=ip)
            if clean["relation"] == Relation.SELF:
                # Whatever waited for the account's own person (e.g. roster lines confirmed before it existed).
                hooks_call("SELF_PERSON_ADDED_HOOKS", account=owner, person_id=person.pk)
    except IntegrityError as exc:
        # Lost a race with a concurrent request: report it like the checks above would have.
        if clean["relation"] == Relation.SELF:
            raise _duplicate_self_error() from exc
        raise
    return person


def household_person_add_problems(
    *, owner: Account, values: Mapping[str, Any], failed: Collection[str]
) -> dict[str, str]:
    """What `household_person_add` would refuse in `values` (the contract's field names), besides
    the fields in `failed`: a form that found some fields wrong itself still shows, in the same
    round, what the add's rules say about the others (e.g. an ID number required by age).
    Nothing is written or counted (no ID-number attempt: no number is looked up)."""
    return person_fields_problems(values, current=None, owner_self=owner_self_person(owner), failed=failed)


def _relation_error(relation: Any, membership: HouseholdMembership | None) -> dict[str, str]:
    """Why `relation` cannot be the person's new relation in the household, if it cannot."""
    if membership is None:
        return {"relation": _("You assist this person; they have no relation in your household.")}
    if relation != membership.relation and Relation.SELF in (relation, membership.relation):
        return {"relation": _("The 'self' entry cannot change. Remove it and add it again instead.")}
    try:
        v.clean_relation(relation)
    except ValidationError as exc:
        return {"relation": exc.messages[0]}
    return {}


def household_person_update(*, actor: Account, person: Person, changes: Mapping[str, Any], ip: str = "") -> Person:
    """Change some fields of a person `actor` declares for (access checked by the caller).

    `changes` uses the contract's field names; absent keys stay as they are, `None` clears an
    optional field (date_of_birth, birth_year, id_number, phone, street). The whole result is
    validated as if new (e.g. an adult must still have an ID number). `relation` belongs to
    the actor's household: it can change between family relations, but never to or from
    "self", and not at all for a person the actor only assists as a volunteer.
    """
    changes = dict(changes)
    if changes.get("id_number"):
        id_number_attempt(actor=actor, id_number=str(changes["id_number"]), ip=ip)
    for optional in ("id_number", "phone", "street"):
        if optional in changes and changes[optional] is None:
            changes[optional] = ""
    membership = HouseholdMembership.objects.filter(owner=actor, person=person).first()
    relation_given = "relation" in changes
    relation = changes.pop("relation", None)
    relation_error = _relation_error(relation, membership) if relation_given else {}
    try:
        clean = person_fields_validate(changes, current=person_current_values(person), owner_self=None)
    except ServiceError as exc:
        exc.fields.update(relation_error)
        raise
    if relation_error:
        raise ServiceError(_("Some fields are not valid."), code="invalid", fields=relation_error)

    before = person_current_values(person)
    changed = sorted(name for name in before if clean.get(name) != before[name])
    person_fields_apply(person, clean)
    with transaction.atomic():
        person.save()
        if "ward_code" in changed:
            # Whatever follows the home ward (e.g. the officials' queue moves the person along).
            hooks_call("PERSON_HOME_MOVED_HOOKS", person=person)
        if membership is not None and relation is not None and relation != membership.relation:
            membership.relation = relation
            membership.save(update_fields=["relation"])
            changed.append("relation")
        # Field names only: the audit trail never holds the personal data itself.
        audit_record(
            actor=actor, action="person.update", obj=person, person_id=person.pk, ip=ip,
            data={"fields": changed},
        )
        if "id_number" in changed:
            id_number_duplicate_review(actor=actor, person=person, ip=ip)
    return person


# Rows that only mirror other data (PersonStatus is derived from declarations and updates),
# that this service itself manages, or that concern only the registration itself (an ID-number
# review of a duplicate, deleted with the person) do not, alone, keep a person.
_NOT_HISTORY = {
    ("people", "householdmembership"), ("people", "delegation"), ("people", "idnumberreview"),
    ("monitoring", "personstatus"),
}


def _history_q() -> Q:
    q = Q(pk__in=[])
    for rel in Person._meta.related_objects:
        if not isinstance(rel, ForeignObjectRel) or not (rel.one_to_many or rel.one_to_one):
            continue
        model: Any = rel.related_model
        if (model._meta.app_label, model._meta.model_name) in _NOT_HISTORY:
            continue
        q |= Q(Exists(model._default_manager.filter(**{rel.field.name: OuterRef("pk")})))
    return q


def person_ties_q(*, besides: Account | None = None) -> Q:
    """People who are still somebody's concern, and so are kept when a household or a volunteer
    lets go of them: in a household, assisted by a volunteer through a delegation that gives
    access (consented, not ended, the volunteer's appointment in force: access.delegations_giving_access
    — not one still waiting for consent, nor one of a volunteer whose appointment ended), linked
    to an account other than `besides`, or referred to by any history (declarations, daily updates,
    follow-up by officials, a roster line, an SMS — anything but the rows in `_NOT_HISTORY`).

    The one rule: `household_person_remove` asks it, and so does retention for a person whose
    registration by a volunteer lapsed without consent (privacy/retention.py)."""
    account = Q(account__isnull=False)
    if besides is not None:
        account &= ~Q(account=besides)
    return (
        Q(Exists(HouseholdMembership.objects.filter(person=OuterRef("pk"))))
        | Q(Exists(delegations_giving_access().filter(person=OuterRef("pk"))))
        | account
        | _history_q()
    )


def person_is_tied(person: Person, *, besides: Account | None = None) -> bool:
    """Whether `person` is still somebody's concern (`person_ties_q`), in one query."""
    return Person.objects.filter(person_ties_q(besides=besides), pk=person.pk).exists()


def household_person_remove(*, actor: Account, person: Person, ip: str = "") -> str:
    """Take `person` out of `actor`'s household (or end `actor`'s delegation for them).

    Returns "deleted" or "kept". The Person row is kept when it is still somebody's concern
    (`person_ties_q`): another household or a volunteer whose delegation gives access still
    declares for them, their own account, or any history refers to them (declarations, daily updates, follow-up by officials — anything but the derived
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
        # The actor's own account (their "self" entry) does not keep the person: it is unlinked below.
        keep = person_is_tied(person, besides=actor)
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
