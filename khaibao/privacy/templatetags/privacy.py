"""`{% privacy_notice %}`: the purpose and retention period, shown wherever data is collected."""

from __future__ import annotations

from typing import Any

from django import template

from khaibao.privacy.consent import current_notice
from khaibao.privacy.selectors import person_privacy_state

register = template.Library()


@register.inclusion_tag("web/privacy/_notice.html")
def privacy_notice(compact: bool = False) -> dict[str, Any]:
    return {"notice": current_notice(), "compact": compact}


@register.filter
def privacy_state(person_id: int) -> str:
    """"Consent withdrawn" or "Data erased" for officials' views of a person, else ""."""
    return person_privacy_state(int(person_id))
