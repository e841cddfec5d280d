"""Reasons and recommendations in plain words, for the API and the pages alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from khaibao.declarations.labels import LEVEL_COLOURS
from khaibao.monitoring.models import Level
from khaibao.risk import engine

# Reasons this app adds on top of the engine's rule ids.
LEVEL_KEPT = "monitoring.level_kept"
NOT_ASSESSED = "monitoring.not_assessed"


def reason_message(rule_id: str) -> str:
    if rule_id == LEVEL_KEPT:
        return _(
            "Your level stays as it was until your monitoring period ends or a health official changes it."
        )
    # Reasons a health official's follow-up adds (khaibao.cases.services).
    if rule_id == "followup.confirmed_case":
        return _("A test confirmed the infection (confirmed case, F0).")
    if rule_id == "followup.cleared":
        return _("A health official has closed your follow-up.")
    return engine.reason_text(rule_id)


def explain_reasons(rule_ids: Iterable[str]) -> list[dict[str, str]]:
    return [{"rule": r, "message": reason_message(r)} for r in rule_ids]


def explain_recommendations(codes: Iterable[str]) -> list[dict[str, str]]:
    return [{"code": c, "message": engine.recommendation_text(c)} for c in codes]


def level_display(level: str | None) -> dict[str, Any]:
    """The word and colour of a level (colour never alone: DESIGN.md §10)."""
    if not level:
        return {"level": None, "word": _("Not declared yet"), "colour": "grey"}
    return {"level": level, "word": str(Level(level).label), "colour": LEVEL_COLOURS.get(level, "grey")}


def status_level_display(status: Any) -> dict[str, Any]:
    """The level a person's status page shows, agreeing with their pass.

    Before any declaration, a low level only says that nothing was declared (a one-tap "I am
    well" is no declaration): the page shows "not declared yet", with the way to declare, as the
    grey pass does. A higher level is a known risk and is always shown.
    """
    level = status.level if status is not None and status.assessed_at is not None else None
    declared = status is not None and status.last_declaration_at is not None
    if not declared and level in (None, Level.LOW):
        return {**level_display(None), "declared": False}
    return {**level_display(level), "declared": declared}


def assessment_out(assessment: Any) -> dict[str, Any]:
    """An Assessment as the API and the pages show it, the level's word beside the level
    (`level_word`, as the status read names it).

    `level_word` comes last: the daily update renders this dict as it is, in the order of its
    schema (api/declarations.py `AssessmentOut`, where it is the last field too).
    """
    return {
        "level": assessment.level,
        "reasons": explain_reasons(assessment.reasons),
        "recommendations": explain_recommendations(assessment.recommendations),
        "monitoring_days": assessment.monitoring_days,
        "monitoring_until": assessment.monitoring_until,
        "level_kept": assessment.level_kept,
        "ruleset_version": assessment.ruleset_version,
        "level_word": level_display(assessment.level)["word"],
    }
