"""Which organisation units, members, campaigns and imports an org admin may reach.

An organisation admin (role org_admin) manages the subtree under `Account.org_unit`: the
unit's materialised path is a prefix of every unit below it. Objects asked for by id come
through the `access_*` functions: missing and outside the subtree are the same Http404.
System admins manage units through the Django admin, not here.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Substr
from django.db.models.lookups import Exact
from django.http import Http404

from khaibao.accounts.models import Role
from khaibao.orgs.models import Campaign, Member, OrgUnit, RosterImport


def is_org_admin(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.ORG_ADMIN
        and user.org_unit_id
    )


def subtree_q(path: str, *, field: str = "path") -> Q:
    """`field` equal to `path` or below it (never a sibling whose code merely starts the same)."""
    return Q(**{field: path}) | below_q(path, field=field)


def below_q(path: str, *, field: str = "path") -> Q:
    """`field` strictly below `path`: its descendants. Case-sensitive on every database: SQLite's
    LIKE ignores ASCII case, and "twd/…" (another organisation's units) is not below "TWD" —
    there an exact comparison of the prefix says so where LIKE cannot. PostgreSQL's LIKE already
    is, and gets the LIKE alone: with the extra comparison its planner guessed 200× too few units
    (101 for 20,000) and chose nested loops over every member of the subtree (the compliance
    refresh 18 s against 3.4 s, the root's members page past the 5 s statement timeout)."""
    prefix = path + "/"
    like = Q(**{f"{field}__startswith": prefix})
    if connection.vendor == "postgresql":
        return like
    return like & Q(Exact(Substr(field, 1, len(prefix)), Value(prefix)))


def units_visible(user: Any) -> QuerySet[OrgUnit]:
    """The units of the org admin's subtree (archived ones included); nothing for anyone else."""
    if not is_org_admin(user):
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(subtree_q(user.org_unit.path))


def access_unit_for_user(user: Any, unit_id: int) -> OrgUnit:
    """The unit if it lies in `user`'s subtree, else Http404 (same answer for missing)."""
    unit = units_visible(user).filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


def members_visible(user: Any) -> QuerySet[Member]:
    if not is_org_admin(user):
        return Member.objects.none()
    return Member.objects.filter(subtree_q(user.org_unit.path, field="unit__path"))


def access_member_for_user(user: Any, member_id: int) -> Member:
    member = members_visible(user).select_related("unit").filter(pk=member_id).first()
    if member is None:
        raise Http404
    return member


def access_campaign_for_user(user: Any, campaign_id: int) -> Campaign:
    if not is_org_admin(user):
        raise Http404
    campaign = (
        Campaign.objects.select_related("unit")
        .filter(subtree_q(user.org_unit.path, field="unit__path"), pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign


def access_roster_import_for_user(user: Any, import_id: int) -> RosterImport:
    """Only the admin who uploaded a roster downloads its error file (it repeats personal data)."""
    if not is_org_admin(user):
        raise Http404
    # An error file emptied by retention (RETENTION_ROSTER_ERRORS_DAYS) is gone, not an empty download.
    found = RosterImport.objects.filter(pk=import_id, actor=user).exclude(error_csv="").first()
    if found is None:
        raise Http404
    return found


def access_membership_for_citizen(user: Any, member_id: int) -> Member:
    """A roster line linked to this citizen's account (the citizen confirms or declines it)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role != Role.CITIZEN:
        raise Http404
    member = Member.objects.select_related("unit").filter(pk=member_id, account=user, removed_at__isnull=True).first()
    if member is None:
        raise Http404
    return member
