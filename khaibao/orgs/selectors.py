"""Reads for organisation pages and the API. Nothing here touches health data: a member is
shown with name, role and membership state only (compliance booleans live in compliance.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.db.models import QuerySet
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from khaibao.accounts.models import STAFF_ROLES, Account, Role
from khaibao.core.keyset import KeysetPage, keyset_page
from khaibao.orgs.access import units_visible
from khaibao.orgs.compliance import membership_label, membership_of
from khaibao.orgs.models import Campaign, Member, OrgUnit, RosterImport


def unit_tree(user: Any) -> list[dict[str, Any]]:
    """The admin's subtree as nested dicts {id, code, name, path, archived, children}."""
    units = list(units_visible(user).order_by("path"))
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


def units_flat(user: Any) -> list[tuple[OrgUnit, int]]:
    """The subtree in path order with each unit's depth below the admin's root (for indenting)."""
    units = list(units_visible(user).order_by("path"))
    if not units:
        return []
    base = user.org_unit.path.count("/")
    return [(unit, unit.path.count("/") - base) for unit in units]


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
