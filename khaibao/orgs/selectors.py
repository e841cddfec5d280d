"""Reads for organisation pages and the API. Nothing here touches health data: a member is
shown with name, role and membership state only (compliance booleans live in compliance.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.db.models import Count, Q, QuerySet
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _

from khaibao.accounts.models import STAFF_ROLES, Account, Role
from khaibao.core.errors import ServiceError
from khaibao.core.keyset import KeysetPage, keyset_page
from khaibao.orgs.access import below_q, units_visible
from khaibao.orgs.compliance import membership_label, membership_of
from khaibao.orgs.models import Campaign, Member, OrgUnit, RosterImport

# The whole-tree answer (GET /api/v1/orgs) stops here: a bigger subtree is read a level at a
# time (`unit_children_page`), or a national organisation's tree (~60,000 units) would be MBs.
UNIT_TREE_MAX = 1000


def units_count(user: Any) -> int:
    """How many units the admin's subtree has (their own unit included, archived ones too)."""
    return units_visible(user).count()


def unit_tree(user: Any) -> list[dict[str, Any]]:
    """The admin's subtree as nested dicts {id, code, name, path, archived, children} — only for
    a subtree of at most UNIT_TREE_MAX units (the caller checks `units_count` first)."""
    units = list(units_visible(user).order_by("path")[: UNIT_TREE_MAX + 1])
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for unit in units:
        node = {
            "id": unit.pk, "code": unit.code, "name": unit.name, "path": unit.path,
            "archived": unit.archived_at is not None, "children": [],
        }
        nodes[unit.pk] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent["children"] if parent else roots).append(node)
    return roots


def units_below_count(unit: OrgUnit) -> int:
    """How many units lie below `unit` (its whole subtree but itself): one range of the path index."""
    return OrgUnit.objects.filter(below_q(unit.path)).count()


def units_below(unit: OrgUnit, *, limit: int) -> list[tuple[OrgUnit, int]]:
    """`unit` and at most `limit` units below it in path order, each with its depth below `unit`
    (for indenting a small subtree shown whole)."""
    base = unit.path.count("/")
    below = list(OrgUnit.objects.filter(below_q(unit.path)).order_by("path")[:limit])
    return [(unit, 0)] + [(u, u.path.count("/") - base) for u in below]


def _units_in_path_order(qs: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    # Path order (siblings: by code), ending with the key a keyset page needs.
    return qs.order_by("path", "pk")


def unit_children_page(unit: OrgUnit, *, cursor: str | None = None, limit: int = 50) -> KeysetPage[OrgUnit]:
    """One page of `unit`'s direct children by code (keyset on path, id), with how many it has."""
    return keyset_page(_units_in_path_order(OrgUnit.objects.filter(parent=unit)), cursor=cursor, limit=limit, count=True)


UNIT_SEARCH_MAX = 100  # characters of a search by name or code


def units_search_page(unit: OrgUnit, query: str, *, cursor: str | None = None, limit: int = 50) -> KeysetPage[OrgUnit]:
    """One page of the units below `unit` whose name or code contains `query` (any case), in
    path order, with how many match. A query with a NUL character is refused (ServiceError on
    `q`): PostgreSQL refuses it in any text, so the search would be a 500 there (the console's
    `?q=` reaches this with no form; the API's schema refuses it first)."""
    if "\x00" in query:
        raise ServiceError.for_field("q", _("This text contains an invalid character. Please type it again."))
    query = query.strip()[:UNIT_SEARCH_MAX]
    units = OrgUnit.objects.filter(below_q(unit.path)).filter(
        Q(name__icontains=query) | Q(code__icontains=query)
    )
    return keyset_page(_units_in_path_order(units), cursor=cursor, limit=limit, count=True)


def unit_counts(units: list[OrgUnit]) -> dict[int, tuple[int, int]]:
    """{unit id: (its direct child units, its active members)} for one page of units: two
    grouped queries on the parent and member indexes."""
    ids = [u.pk for u in units]
    children = dict(
        OrgUnit.objects.filter(parent_id__in=ids).values_list("parent_id").annotate(n=Count("pk")).order_by()
    )
    members = dict(
        Member.objects.filter(unit_id__in=ids, removed_at__isnull=True)
        .values_list("unit_id").annotate(n=Count("pk")).order_by()
    )
    return {pk: (children.get(pk, 0), members.get(pk, 0)) for pk in ids}


def unit_trail(user: Any, unit: OrgUnit) -> list[OrgUnit]:
    """The units from the admin's own unit down to `unit`'s parent (breadcrumbs): one query on
    the path index, as many rows as levels."""
    root = user.org_unit.path
    if unit.path == root or not unit.path.startswith(root + "/"):
        return []
    codes = unit.path[len(root) + 1:].split("/")[:-1]
    paths = [root] + [root + "/" + "/".join(codes[: i + 1]) for i in range(len(codes))]
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


def unit_by_code_or_path(user: Any, text: str) -> OrgUnit | None:
    """The unit a person named by its path ("TWD/HN/DCS-HK", anywhere: the caller's scope rule
    then answers for it) or by its code among the admin's own units (codes are unique only among
    siblings); None when nothing matches. Several units of the subtree with the code: ServiceError."""
    text = text.strip().strip("/")
    if not text:
        return None
    if "/" in text:
        return OrgUnit.objects.filter(path=text).first()
    found = list(units_visible(user).filter(code=text).order_by("path")[:2])
    if len(found) > 1:
        raise ServiceError.for_field("parent_id", _("Several units have this code; write the unit's path instead."), "ambiguous")
    return found[0] if found else None


def unit_children(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(parent=unit).order_by("code")


def unit_members(unit: OrgUnit) -> QuerySet[Member]:
    """Active roster lines of this unit only (not its children), by name."""
    return Member.objects.filter(unit=unit, removed_at__isnull=True).order_by("full_name", "pk")


def unit_members_page(unit: OrgUnit, *, cursor: str | None = None, limit: int = 200) -> KeysetPage[Member]:
    """One page of `unit_members` after `cursor` (keyset on name, id) with how many active
    members the unit has in all (a COUNT on the unit's index; a roster import adds up to 20,000)."""
    return keyset_page(unit_members(unit), cursor=cursor, limit=limit, count=True)


def member_row(member: Member) -> dict[str, Any]:
    """The fields an org admin sees of a member — never a phone in clear, never health data, and
    not whether the phone has a Khai Báo account: until the member answers, the line is "awaiting
    confirmation" whether or not its owner ever signed in (the compliance pages' rule and words,
    `compliance.membership_of`), or adding any phone to the roster would tell who is registered."""
    state = membership_of(confirmed_at=member.confirmed_at, declined_at=member.declined_at)
    return {
        "id": member.pk, "full_name": member.full_name, "role": member.role,
        "role_label": member.get_role_display(), "unit_id": member.unit_id,
        "membership": state, "membership_label": membership_label(state),
    }


def unit_campaigns(unit: OrgUnit, *, include_archived: bool = False) -> QuerySet[Campaign]:
    campaigns = Campaign.objects.filter(unit=unit)
    if not include_archived:
        campaigns = campaigns.filter(archived_at__isnull=True)
    return campaigns.order_by("-starts_on", "-pk")


def unit_admins(unit: OrgUnit) -> QuerySet[Account]:
    return Account.objects.filter(org_unit=unit, role=Role.ORG_ADMIN).order_by("username")


def recent_imports(user: Any, unit: OrgUnit) -> QuerySet[RosterImport]:
    return RosterImport.objects.filter(unit=unit, actor=user).order_by("-created_at")[:5]


def pending_memberships(user: Any) -> QuerySet[Member]:
    """Roster lines linked to this citizen that they have not yet confirmed or declined."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.CITIZEN:
        return Member.objects.none()
    return Member.objects.filter(
        account=user, confirmed_at__isnull=True, declined_at__isnull=True, removed_at__isnull=True
    ).select_related("unit")


def my_memberships(user: Any) -> QuerySet[Member]:
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.CITIZEN:
        return Member.objects.none()
    return Member.objects.filter(account=user, removed_at__isnull=True).select_related("unit").order_by("unit__name")


def declined_memberships(user: Any) -> QuerySet[Member]:
    """Roster lines the citizen said are not them, still on a roster.

    Declining unlinks the line from the account (members.membership_decline), so these are
    found by the account's own phone's blind index — the phone the roster line names and the
    sign-in code proved: never another person's line.
    """
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.CITIZEN:
        return Member.objects.none()
    if not user.phone_index:
        return Member.objects.none()
    return (
        Member.objects.filter(phone_index=user.phone_index, declined_at__isnull=False, removed_at__isnull=True)
        .select_related("unit")
        .order_by("unit__name", "pk")
    )


def account_for_password_link(uidb64: str, token: str) -> Account | None:
    """The active staff account a one-time set-password link is for, if the token is still valid."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    account = Account.objects.filter(pk=pk, is_active=True, role__in=STAFF_ROLES).first()
    if account is None or not default_token_generator.check_token(account, token):
        return None
    return account
