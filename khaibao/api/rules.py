"""What the services enforce, said in the OpenAPI schema (issue 18, item 6).

The rules live with their owners — a person's fields in people/validators.py, a declaration's
answers in the current questionnaire (declarations/questionnaires.py), the daily update in
monitoring/services.py, a household's size in people/limits.py — and are checked there, with
field-level messages in vi/en. This module only reads them to annotate the request schemas
(`json_schema_extra`: never a second validation), so generated clients and fuzzers see the ID
number required from 14, the date windows and the largest lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from ninja import Field

from khaibao.declarations.questionnaires import current_questionnaire
from khaibao.monitoring.services import TEMPERATURE_MAX, TEMPERATURE_MIN
from khaibao.people import validators as v

_Q = current_questionnaire()
LOOKBACK_DAYS = _Q.lookback_days


@dataclass(frozen=True)
class Rule:
    description: str | None = None
    schema: dict[str, Any] = field(default_factory=dict)


def stated(rule: Rule, default: Any = ..., *, alias: str | None = None) -> Any:
    """A schema field that states `rule` (description and JSON-schema keywords), validating nothing."""
    return Field(default, alias=alias, description=rule.description, json_schema_extra=rule.schema)


def _dates(what: str, **more: Any) -> Rule:
    return Rule(
        f"{what}: not in the future, within the last {LOOKBACK_DAYS} days",
        {"x-within-last-days": LOOKBACK_DAYS, **more},
    )


FULL_NAME = Rule(None, {"minLength": 1, "maxLength": v.FULL_NAME_MAX})
STREET = Rule(None, {"maxLength": v.STREET_MAX})
BIRTH_YEAR = Rule(
    f"{v.EARLIEST_BIRTH.year} to the current year; must agree with date_of_birth",
    {"minimum": v.EARLIEST_BIRTH.year},
)
DATE_OF_BIRTH = Rule(
    f"not in the future, not before {v.EARLIEST_BIRTH.isoformat()}",
    {"formatMinimum": v.EARLIEST_BIRTH.isoformat()},
)
ID_NUMBER = Rule(
    f"Required for anyone aged {v.ID_REQUIRED_FROM_AGE} or over (by date_of_birth, else birth_year), "
    "optional under: a citizen ID (CCCD, 12 digits), an old ID card (CMND, 9 digits) or a passport "
    "number (6–12 letters and digits). A number another person holds is accepted and reviewed by officials.",
    {"pattern": r"^\s*(\d{12}|\d{9}|[A-Za-z0-9]{6,12})\s*$", "x-required-from-age": v.ID_REQUIRED_FROM_AGE},
)
RELATION_HOUSEHOLD = Rule(
    f"a household holds at most {settings.HOUSEHOLD_MAX_PEOPLE} people unless a health official raised "
    "its limit (409 household_full)",
    {"x-household-max-people": settings.HOUSEHOLD_MAX_PEOPLE},
)
TRAVEL_FROM = _dates("first day there")
TRAVEL_TO = _dates("last day there, not before `from`", **{"x-not-before": "from"})
ONSET = _dates("when the symptom began")
EXPOSURE_DATE = _dates("when it happened")
TRAVEL_LIST = Rule(f"at most {_Q.max_travel_entries} places", {"maxItems": _Q.max_travel_entries})
EXPOSURE_LIST = Rule(f"at most {_Q.max_exposure_entries} entries", {"maxItems": _Q.max_exposure_entries})
SYMPTOM_LIST = Rule("each symptom at most once, with its onset", {"maxItems": len(_Q.symptoms)})
CONDITION_LIST = Rule(
    None, {"maxItems": len(_Q.conditions), "uniqueItems": True, "items": {"type": "string", "enum": list(_Q.conditions)}}
)
UPDATE_SYMPTOMS = Rule(
    None, {"maxItems": len(_Q.symptoms), "uniqueItems": True, "items": {"type": "string", "enum": list(_Q.symptoms)}}
)
TEMPERATURE = Rule(
    f"°C, {TEMPERATURE_MIN} to {TEMPERATURE_MAX}",
    {"minimum": float(TEMPERATURE_MIN), "maximum": float(TEMPERATURE_MAX)},
)
