"""The typed request of a page whose sender signed in."""

from __future__ import annotations

from django.http import HttpRequest

from khaibao.accounts.models import Account


class SignedInRequest(HttpRequest):
    """A page request whose sender signed in: `user` is their `Account`, never anonymous.

    Only views behind a decorator that guarantees it (`login_required`, the web's
    `citizen_required` and `volunteer_required`, the console's `staff_passes` and
    `official_required`, …) take this type; django-stubs' documented way to say so.
    """

    user: Account
