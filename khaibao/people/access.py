"""The one place that decides which people a user may see (DESIGN.md §4, house rule 2).

Every object asked for by id goes through an `access_*` function here. "Missing" and "not
yours" both raise Http404 so ids reveal nothing. Reads of someone else's health data by an
official leave an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, LiteralString

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, BreakGlassGrant, Role, ScopeLevel
from khaibao.audit.services import audit_record
from khaibao.core import rowsql
from khaibao.core.errors import ServiceError
from khaibao.core.hooks import hooks_excluded_q
from khaibao.core.params import id_in_range
from khaibao.people.models import (
    CONSENTED,
    Delegation,
    HouseholdMembership,
    Person,
    VolunteerAppointment,
    active_appointments_q,
)


def jurisdiction_q(user: Account, *, ward_field: str = "home_ward", province_field: str | None = None) -> Q | None:
    """A filter restricting `ward_field` to an official's jurisdiction; None means nothing.

    `province_field` names a province column of its own (a denormalised copy of the ward's
    province) to filter on instead of joining through the ward.
    """
    if user.role != Role.OFFICIAL:
        return None
    if user.scope_level == ScopeLevel.NATIONAL:
        return Q()
    if user.scope_level == ScopeLevel.PROVINCE and user.scope_province_id:
        province = f"{province_field}_id" if province_field else f"{ward_field}__province_id"
        return Q(**{province: user.scope_province_id})
    if user.scope_level == ScopeLevel.WARD and user.scope_ward_id:
        return Q(**{f"{ward_field}_id": user.scope_ward_id})
    return None


def household_people(user: Account) -> QuerySet[Person]:
    """The people `user` declares for as a household owner."""
    return Person.objects.filter(households__owner=user)


def visible_people(user: Any) -> QuerySet[Person]:
    """Everyone `user` may see health data of: household, active delegations, jurisdiction.

    Checkpoint staff, organisation admins, the DPO and system admins see no one here: they
    never receive health details through the product's pages or API.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Person.objects.none()
    if user.role == Role.CITIZEN:
        q = Q(households__owner=user)
        # A delegation counts only while the volunteer's appointment is in force: expiry or
        # revocation ends access at once, with no job to run.
        if is_active_volunteer(user):
            q |= Q(delegations__volunteer=user) & delegation_gives_access_q(prefix="delegations__")
        return Person.objects.filter(q).distinct()
    scope = jurisdiction_q(user)
    if scope is None:
        return Person.objects.none()
    if user.role == Role.OFFICIAL and user.scope_level != ScopeLevel.NATIONAL:
        # "Break the glass": people opened on a stated reason, until the grant expires.
        scope |= Q(pk__in=active_grants(user).values("person_id"))
    return Person.objects.filter(scope)


def delegation_gives_access_q(*, prefix: str = "") -> Q:
    """A delegation that lets its volunteer see and declare for the person: consented, not
    ended, and its volunteer's account active (the volunteer must also hold an appointment in
    force: `is_active_volunteer`, `active_appointments_q`).

    The account check is here, not left to each caller: a deactivated volunteer sees no one
    (`visible_people`), so their delegations must not count anywhere else either — reminders
    and warnings (`carer_ids`), an organisation's assisted people (`orgs.rollups.assisted_counts`).
    """
    return Q(**{
        f"{prefix}ended_at__isnull": True, f"{prefix}consent_method__in": CONSENTED,
        f"{prefix}volunteer__is_active": True,
    })


def delegations_giving_access() -> QuerySet[Delegation]:
    """The delegations through which a volunteer looks after a person now: `delegation_gives_access_q`
    and the volunteer holds an appointment in force — not one waiting for consent, not one of a
    volunteer whose appointment expired or was revoked (`visible_people`'s rule, as rows)."""
    appointed = VolunteerAppointment.objects.filter(active_appointments_q()).values("account_id")
    return Delegation.objects.filter(delegation_gives_access_q(), volunteer__in=appointed)


def _carer_routes(people: QuerySet[Person]) -> list[tuple[QuerySet[Any], str, str]]:
    """The three routes by which an active account looks after one of `people`, each as (rows,
    the column of the person's id, the column of the carer's account id): the person's own
    account, their household owners, and volunteers whose delegation gives access while their
    appointment is in force. `carer_ids` and `cared_for_ids` read the same routes, from either end."""
    ids = people.values("pk")
    return [
        (Person.objects.filter(pk__in=ids, account__is_active=True), "pk", "account_id"),
        (HouseholdMembership.objects.filter(person__in=ids, owner__is_active=True), "person_id", "owner_id"),
        (delegations_giving_access().filter(person__in=ids), "person_id", "volunteer_id"),
    ]


def carer_ids(people: QuerySet[Person]) -> QuerySet[Any]:
    """The ids (column `carer`) of the active accounts that look after any of `people`: the
    person's own account, their household owners, and volunteers whose delegation gives access
    while their appointment is in force — `visible_people` read the other way round, for the
    reminders and warnings sent about a person (notifications). `people` is used as a subquery.

    A UNION of three index lookups: OR-ing the reverse joins made PostgreSQL hash-join every
    account with every household row (bench/RESULTS.md, zone warning job).
    """
    own, owners, volunteers = (rows.values(carer=F(carer)) for rows, _person, carer in _carer_routes(people))
    return own.union(owners, volunteers)


def cared_for_ids(people: QuerySet[Person]) -> QuerySet[Any]:
    """The ids (column `cared`), each once, of those of `people` that at least one active account
    looks after (`carer_ids`' routes, read from the person's end): whoever is missing has nobody
    to notify — a traced contact in no household, someone whose carers' accounts were
    deactivated or whose delegation ended. The zone warnings count whom they reach with it
    (zones.reach, zones.warnings). `people` is used as a subquery; `.count()` counts people."""
    own, owners, volunteers = (rows.values(cared=F(person)) for rows, person, _carer in _carer_routes(people))
    return own.union(owners, volunteers)


def carer_pairs(people: QuerySet[Person]) -> QuerySet[Any]:
    """(cared, carer) rows: who looks after which of `people` (`carer_ids`' routes, both ends at
    once — a batch of daily reminders needs them, notifications.selectors)."""
    own, owners, volunteers = (
        rows.values(cared=F(person), carer=F(carer)) for rows, person, carer in _carer_routes(people)
    )
    return own.union(owners, volunteers)


def person_carers(person: Person) -> list[Account]:
    """Everyone who looks after `person` (`carer_ids`), by id."""
    return list(Account.objects.filter(pk__in=carer_ids(Person.objects.filter(pk=person.pk))).order_by("pk"))


def is_active_volunteer(user: Any) -> bool:
    """Whether `user` is a citizen with a volunteer appointment in force now."""
    if getattr(user, "role", None) != Role.CITIZEN or not getattr(user, "pk", None):
        return False
    return VolunteerAppointment.objects.filter(active_appointments_q(), account=user).exists()


def account_roles(user: Account) -> list[str]:
    """`user`'s role, plus "volunteer" while a volunteer appointment is in force."""
    roles = [str(user.role)]
    if is_active_volunteer(user):
        roles.append("volunteer")
    return roles


def access_delegation_for_volunteer(user: Any, delegation_id: int) -> Delegation:
    """A delegation of `user` (pending or active, not ended), else Http404.

    Only while `user`'s volunteer appointment is in force: a revoked or expired volunteer can no
    longer confirm consent, resend codes or act on the people they assisted.
    """
    if getattr(user, "role", None) != Role.CITIZEN or not id_in_range(delegation_id):
        raise Http404
    if not is_active_volunteer(user):
        raise Http404
    delegation = (
        Delegation.objects.filter(pk=delegation_id, volunteer=user, ended_at__isnull=True)
        .select_related("person").first()
    )
    if delegation is None:
        raise Http404
    return delegation


def active_grants(user: Account) -> QuerySet[BreakGlassGrant]:
    """`user`'s break-glass grants that still give access (not expired)."""
    return BreakGlassGrant.objects.filter(official=user, expires_at__gt=timezone.now())


def is_own_household(user: Account, person: Person) -> bool:
    return person.households.filter(owner=user).exists()


def processing_allowed_q(*, field: str = "pk") -> Q:
    """People whose data may still be processed: everyone but those whose consent is withdrawn or
    whose erasure was asked for (settings.PROCESSING_STOPPED, which the privacy app above fills).
    `field` is where the filtered rows hold the person's id ("pk" on Person, "person_id" on a row
    that names one). The zone warnings, the rush worker and officials' writes all ask here."""
    return hooks_excluded_q("PROCESSING_STOPPED", field=field)


def processing_allowed(person: Person) -> None:
    """Refuse (409 `processing_stopped`) a write that would process `person`'s data again — an
    official's case action or assignment, a contact flag: it would bring back the status row and
    the triage-queue entry the withdrawal deleted. Officials may still open the person and see
    why (privacy's "Consent withdrawn" notice)."""
    if not Person.objects.filter(processing_allowed_q(), pk=person.pk).exists():
        raise ServiceError(
            _("This person's data may no longer be processed: their consent was withdrawn or their data is being erased."),
            code="processing_stopped",
            status=409,
        )


def access_person_for_user(user: Any, person_id: int, *, purpose: str = "view", ip: str = "") -> Person:
    """The person if `user` may see them, else Http404 — the same answer for missing and forbidden.

    Anyone but the household owner or an active volunteer (i.e. an official) leaves an audit
    event naming the purpose of the access. An id no row can have (core.params) is missing.
    """
    if not id_in_range(person_id):
        raise Http404
    if getattr(user, "role", None) == Role.OFFICIAL and user.is_active:
        return _access_person_for_official(user, person_id, purpose=purpose, ip=ip)
    person = None
    if getattr(user, "role", None) == Role.CITIZEN and getattr(user, "pk", None):
        # A household owner's own people: one query, before the general (volunteer) filter.
        found = _household_person(user, person_id)
        person = found.person if found is not None else None
    if person is None:
        person = visible_people(user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    if user.role != Role.CITIZEN:
        audit_record(
            actor=user,
            action=f"person.{purpose}",
            obj=person,
            person_id=person.pk,
            reason=purpose,
            ip=ip,
        )
    return person


def _access_person_for_official(user: Account, person_id: int, *, purpose: str, ip: str) -> Person:
    """An official reaches a person through their jurisdiction, or else through an active
    break-glass grant — and then the audit event says so and names the grant."""
    scope = jurisdiction_q(user)
    person = Person.objects.filter(scope, pk=person_id).first() if scope is not None else None
    if person is not None:
        audit_record(actor=user, action=f"person.{purpose}", obj=person, person_id=person.pk, reason=purpose, ip=ip)
        return person
    grant = active_grants(user).filter(person_id=person_id).select_related("person").order_by("-expires_at").first()
    if grant is None:
        raise Http404
    audit_record(
        actor=user,
        action="person.break_glass_view",
        obj=grant.person,
        person_id=grant.person_id,
        reason=purpose,
        ip=ip,
        data={"grant_id": grant.pk, "purpose": purpose},
    )
    return grant.person


def describe_scope(user: Account) -> dict[str, Any]:
    """What `user` covers, for /me and the console header."""
    scope: dict[str, Any] = {"level": None, "province": None, "ward": None, "org_unit": None}
    if user.role == Role.OFFICIAL:
        scope["level"] = user.scope_level
        if user.scope_province_id:
            scope["province"] = {"code": user.scope_province_id, "name": user.scope_province.name}  # type: ignore[union-attr]
        if user.scope_ward_id:
            ward = user.scope_ward
            scope["ward"] = {"code": user.scope_ward_id, "name": ward.name}  # type: ignore[union-attr]
            scope["province"] = {"code": ward.province_id, "name": ward.province.name}  # type: ignore[union-attr]
    if user.role == Role.ORG_ADMIN and user.org_unit_id:
        unit = user.org_unit
        scope["level"] = "org_unit"
        scope["org_unit"] = {"id": unit.pk, "code": unit.code, "name": unit.name, "path": unit.path}  # type: ignore[union-attr]
    return scope


# How the one who declares stands to the person declared for (stored as `declared_as` /
# `updated_as` on declarations and daily updates).
DeclaredAs = Literal["self", "household_owner", "volunteer"]


@dataclass(frozen=True)
class Declaring:
    """Who `user` may declare for, and as what: what `access_declaring` answers, and what the
    declaration and daily-update services take (`declared_as=`), so the relation found while
    checking access is handed on, not looked up again."""

    person: Person
    declared_as: DeclaredAs


def access_declaring(user: Any, person_id: int) -> Declaring:
    """A person `user` may declare for — their household, or someone they assist as a volunteer —
    with the relation, else Http404.

    Officials can see people in their jurisdiction but do not declare for them here. For a
    household owner (the hot path: most declarations and updates are theirs) one query returns
    the person and the relation; the volunteer route is asked only when that finds nothing.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.CITIZEN:
        raise Http404
    if not id_in_range(person_id):
        raise Http404
    found = _household_person(user, person_id)
    if found is not None:
        return found
    person = visible_people(user).filter(pk=person_id).first()
    if person is None:
        raise Http404
    # Not in the household: visible to a citizen only through a delegation.
    return Declaring(person=person, declared_as="volunteer")


def access_person_for_declarer(user: Any, person_id: int) -> Person:
    """`access_declaring`'s person, for callers that do not declare (reads, edits)."""
    return access_declaring(user, person_id).person


def _household_person(user: Account, person_id: int) -> Declaring | None:
    """The person and the relation when they are in `user`'s household, in one query. None
    otherwise (not theirs, or missing)."""
    if not _household_route(user, person_id):
        return None
    membership = rowsql.fetch_related(HouseholdMembership, "person", _HOUSEHOLD_WHERE, [user.pk, person_id])
    if membership is None:
        return None
    return Declaring(person=membership.person, declared_as=_as(membership.relation))


def _household_owner(user: Any) -> bool:
    """Whether `user` can reach anyone by the household route: an active citizen account."""
    return getattr(user, "role", None) == Role.CITIZEN and bool(getattr(user, "pk", None)) and user.is_active


def _household_route(user: Any, person_id: int) -> bool:
    """Whether the household route can answer for `user` and `person_id`: an active citizen
    account, an id a row can have."""
    return _household_owner(user) and id_in_range(person_id)


# The household route as SQL, written once for its three forms below: the owner's (%s) membership
# rows, completed by the person it is asked about.
_MEMBERSHIP: Final = "FROM people_householdmembership h WHERE h.owner_id = %s AND h.person_id "
# The person (`people_person.id`) is in the owner's household.
_HOUSEHOLD_SQL: LiteralString = "EXISTS (SELECT 1 " + _MEMBERSHIP + "= people_person.id)"


def household_access_sql(user: Any, person_id: int) -> tuple[LiteralString, list[Any]] | None:
    """The household route of `access_person_for_user` and `access_declaring` — `user` owns a
    household `person_id` is in — as an SQL condition over `people_person.id` and its parameters,
    for a statement that reads a person's rows and checks access at once (the status read:
    monitoring.selectors.person_status_read_checked; issue 19). None when the route cannot answer
    (not an active citizen, an impossible id). A row found through it is as `_household_person`
    finds it (tests/test_access_sql.py): the owner's own household, no audit event. When it finds
    nothing the caller asks `access_person_for_user`, which also knows the other routes."""
    if not _household_route(user, person_id):
        return None
    return _HOUSEHOLD_SQL, [user.pk]


# `_household_person`'s rule over many ids, for a write that checks access inside its own one
# statement (PostgreSQL; venues/statements.py): the ids, among an array of person ids, of the
# people of the owner's household. Placeholders: the owner's id, the array.
_HOUSEHOLD_IDS: Final[LiteralString] = "SELECT h.person_id " + _MEMBERSHIP + "= ANY(%s)"


def household_ids_sql(user: Any, person_ids: list[int]) -> tuple[LiteralString, list[Any]]:
    """`access_declaring`'s household route as SQL and its parameters, for one-statement writes:
    a query of the ids among `person_ids` that `user` declares for as their household owner
    (nothing for anyone but an active citizen). The volunteer route is not in it: a caller that
    finds someone missing asks `access_declaring` for them (which answers 404 or the delegation)."""
    return _HOUSEHOLD_IDS, [user.pk if _household_owner(user) else None, list(person_ids)]


def _as(relation: str | None) -> DeclaredAs:
    if relation is None:
        return "volunteer"
    return "self" if relation == "self" else "household_owner"


# The household route of `access_declaring` (`_household_person`, then `_as`) for the lookup above.
_HOUSEHOLD_WHERE: Final = "a.owner_id = %s AND a.person_id = %s"
_HOUSEHOLD_DECLARING: Final[LiteralString] = (
    "SELECT CASE WHEN h.relation = 'self' THEN 'self' ELSE 'household_owner' END AS declared_as "
    + _MEMBERSHIP + "= %s"
)


def household_declaring_sql(user: Any, person_id: int) -> rowsql.Statement | None:
    """`access_declaring`'s household route as a query, for a write that checks access inside its
    own statement (the daily update stored first in rush mode, api/rush.py): one row, column
    `declared_as`, when `user` may declare for `person_id` as its household owner; no row otherwise
    (not theirs, missing — or a volunteer's, which the caller then asks `access_declaring` about).
    None when the answer is known without the database: nobody `access_declaring` would let through
    this way. tests/test_access_sql.py checks it row for row against `access_declaring`."""
    if user is None or not getattr(user, "is_authenticated", False) or not _household_route(user, person_id):
        return None
    return _HOUSEHOLD_DECLARING, [user.pk, person_id]


def declarer_relation(user: Account, person: Person) -> DeclaredAs:
    """How `user` stands to `person` when declaring — "self", "household_owner" or "volunteer" —
    for a caller that holds only the person (one query); `access_declaring` answers it with the
    person."""
    return _as(person.households.filter(owner=user).values_list("relation", flat=True).first())
