"""The ward picker of the console's filters (triage queue, reports, exports): one list of choices."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.cases.officials import jurisdiction_wards
from khaibao.places.selectors import wards_by_province


def ward_filter_choices(user: Account) -> list[Any]:
    """The choices of a console filter's ward picker, by name and valued by ward code: "All",
    then the wards of `user`'s jurisdiction (cases.officials.jurisdiction_wards) — for a
    national official every ward, grouped under its province.
    A code outside the list is refused by the form (it never widens the jurisdiction anyway)."""
    wards = jurisdiction_wards(user)
    if wards is None:
        return [
            ("", _("All")),
            *[(province.name, [(w.code, w.name) for w in group]) for province, group in wards_by_province()],
        ]
    return [("", _("All")), *[(w.code, w.name) for w in wards]]
