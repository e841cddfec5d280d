from __future__ import annotations

from typing import Any

from django import template

from khaibao.orgs.selectors import pending_memberships

register = template.Library()


@register.simple_tag
def pending_membership_count(user: Any) -> int:
    """For the home-page banner: memberships the citizen still has to confirm or decline."""
    return pending_memberships(user).count()
