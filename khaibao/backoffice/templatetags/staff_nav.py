"""The staff console's navigation: the same links on every page, those of the signed-in role."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

register = template.Library()


def _items(user: Any) -> list[tuple[str, str]]:
    """(url name, label) of each page `user`'s role works with, in the order of their day."""
    role = getattr(user, "role", None)
    scope = getattr(user, "scope_level", "")
    if role == "official":
        items = [
            ("backoffice:cases", _("Triage queue")),
            ("backoffice:reports", _("Citizen reports")),
            ("backoffice:id_reviews", _("Duplicate ID numbers")),
            ("backoffice:zones", _("Epidemic zones")),
            ("backoffice:venues", _("Venues (check-in)")),
            ("backoffice:stats", _("Statistics")),
            ("backoffice:exports", _("Exports")),
        ]
        if scope != "ward":
            items.append(("backoffice:news", _("Official information")))
        if scope == "ward":
            items.append(("backoffice:volunteers", _("Volunteers")))
        items.append(("backoffice:break_glass", _("Break the glass")))
        if scope == "national":
            items.append(("backoffice:break_glass_review", _("Break-glass review")))
        items.append(("backoffice:verify", _("Verify a health pass")))
        items.append(("backoffice:health", _("Service health")))
        return items
    if role == "checkpoint":
        return [("backoffice:verify", _("Verify a health pass"))]
    if role == "dpo":
        return [("backoffice:subject_requests", _("Data-subject requests")), ("backoffice:audit", _("Audit trail"))]
    if role == "org_admin":
        items = [("backoffice:compliance", _("Compliance"))]
        if getattr(user, "org_unit_id", None):
            items.append(("backoffice:orgs", _("Units, rosters and campaigns")))
            items.append(("backoffice:org_venues", _("Our venues")))
        items.append(("backoffice:volunteers", _("Volunteers")))
        return items
    return []


@register.simple_tag(takes_context=True)
def staff_nav(context: Any) -> list[dict[str, Any]]:
    """The links for the signed-in staff member, the one for the page shown marked current."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff_role", False):
        return []
    path = request.path
    links = [{"url": reverse("backoffice:home"), "label": _("Console"), "current": path == reverse("backoffice:home")}]
    for name, label in _items(user):
        url = reverse(name)
        links.append({"url": url, "label": label, "current": path.startswith(url)})
    # The most specific match only (e.g. break-glass review, not break the glass as well).
    current = [link for link in links if link["current"]]
    if len(current) > 1:
        keep = max(current, key=lambda link: len(link["url"]))
        for link in current:
            link["current"] = link is keep
    return links
