"""The unread-notification count for the header of every page (signed-in citizens only)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_citizen", False):
        return {}

    def unread() -> int:
        from khaibao.notifications.selectors import unread_count

        return unread_count(user)  # type: ignore[arg-type]

    # A callable: templates only run the count when they show it (pages without the header pay nothing).
    return {"notifications_unread": unread}
