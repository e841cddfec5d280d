from __future__ import annotations

from typing import Any

from django import template

from khaibao.orgs.selectors import pending_memberships

register = template.Library()


@register.simple_tag
def pending_membership_count(user: Any) -> int:
    """For the home-page banner: memberships the citizen still has to confirm or decline."""
    return pending_memberships(user).count()


@register.simple_tag
def pending_membership_list(user: Any) -> list[Any]:
    """For the home page: the memberships to answer, shown right after sign-in (issue 21)."""
    return list(pending_memberships(user).order_by("unit__name", "pk"))
