"""The officials who use the triage queue and cases: who may, their jurisdiction's wards and
the colleagues they may assign a case to."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role, ScopeLevel
from khaibao.core.errors import ServiceError
from khaibao.people.access import jurisdiction_q
from khaibao.places.models import Ward
from khaibao.places.selectors import in_reading_order


def require_official(user: Any) -> Account:
    """Only health officials use the console's triage and cases; others are refused (403)."""
    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or getattr(user, "role", None) != Role.OFFICIAL
        or jurisdiction_q(user) is None
    ):
        raise ServiceError(_("Only health officials can see the triage queue and cases."), code="officials_only", status=403)
    return user  # type: ignore[no-any-return]


def official_out(account: Account | None) -> dict[str, Any] | None:
    """An official as the API and exports name them (id and name, nothing else)."""
    if account is None:
        return None
    return {"id": account.pk, "name": account.display_name or account.username or ""}


def colleagues(actor: Account) -> QuerySet[Account]:
    """Officials an official may assign a case to: active officials whose scope lies inside
    the actor's jurisdiction (a ward official: only their own ward's officials)."""
    qs = Account.objects.filter(role=Role.OFFICIAL, is_active=True)
    if actor.scope_level == ScopeLevel.NATIONAL:
        return qs
    if actor.scope_level == ScopeLevel.PROVINCE and actor.scope_province_id:
        return qs.filter(Q(scope_province_id=actor.scope_province_id) | Q(scope_ward__province_id=actor.scope_province_id))
    if actor.scope_level == ScopeLevel.WARD and actor.scope_ward_id:
        return qs.filter(scope_ward_id=actor.scope_ward_id)
    return qs.none()


def jurisdiction_wards(user: Any) -> list[Ward] | None:
    """The wards an official's queue can be filtered by, in reading order; None for national
    scope (every ward: the console's filter groups them by province, backoffice.ward_choices
    `ward_filter_choices`)."""
    user = require_official(user)
    if user.scope_level == ScopeLevel.PROVINCE and user.scope_province_id:
        return in_reading_order(Ward.objects.filter(province_id=user.scope_province_id))
    if user.scope_level == ScopeLevel.WARD and user.scope_ward_id:
        return list(Ward.objects.filter(pk=user.scope_ward_id))
    return None


def assignable_officials(user: Any) -> list[Account]:
    """Officials `user` may assign a case to (their jurisdiction), by name."""
    return list(colleagues(require_official(user)).order_by("display_name", "username", "pk")[:200])

