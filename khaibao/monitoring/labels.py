"""Contact levels (F0 … F5) in words: the one owner of their labels.

The codes are this app's (`assessment.CONTACT_LEVELS`, `PersonStatus.contact_level`; contact
tracing's `Contact.level` uses the same codes). Every page, export and API answer that shows a
contact level puts this label beside the code; each label names its code, so a person who knows
"F1" still finds it.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CONTACT_LEVEL_LABELS: dict[str, Promise] = {
    "F0": _("Confirmed case (F0)"),
    "F1": _("Close contact (F1)"),
    "F2": _("Contact of an F1 (F2)"),
    "F3": _("Contact of an F2 (F3)"),
    "F4": _("Contact of an F3 (F4)"),
    "F5": _("Contact of an F4 (F5)"),
}


def contact_level_label(code: str | None) -> str:
    """The words for contact level `code` in the active language; "" for no level, an unknown
    code as it is (never hidden)."""
    if not code:
        return ""
    label = CONTACT_LEVEL_LABELS.get(code)
    return str(label) if label is not None else code
