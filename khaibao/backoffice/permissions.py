"""Who may open a console page: one decorator, so every page answers the same way.

Strangers are sent to the staff sign-in page; signed-in accounts that fail the test get 403.
Officials have already passed TOTP by the time a view runs (OfficialSecondFactorMiddleware).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from khaibao.accounts.models import Role

View = Callable[..., HttpResponse]


def staff_passes(test: Callable[[Any], bool]) -> Callable[[View], View]:
    """Require a signed-in account for which `test(account)` is true."""

    def decorator(view: View) -> View:
        @login_required(login_url="backoffice:sign_in")
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _is_official(account: Any) -> bool:
    return getattr(account, "role", None) == Role.OFFICIAL


official_required = staff_passes(_is_official)
