"""The one owner of a follow-up action's name in words, with a test's result ("Test result:
Positive"): the case view, the citizen's page, the triage queue and the exports all say it the
same way (docs/officials.md). A case's outcome is the kind of its latest action, so it reads the
same: pass the latest test result along with it (`outcome_result`, cases.triage and
cases.followups annotate it)."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from khaibao.cases.models import ActionKind, FollowUpAction, TestResult

# Built once; the labels are lazy, translated into each reader's language when turned to str.
_KIND_LABELS: dict[str, Any] = dict(ActionKind.choices)
_TEST_RESULT_LABELS: dict[str, Any] = dict(TestResult.choices)


def result_label(test_result: str | None) -> str | None:
    """A follow-up test's result in words (cases.models.TestResult's label); None without one."""
    return str(_TEST_RESULT_LABELS.get(test_result, test_result)) if test_result else None


def action_label(kind: str | None, test_result: str | None = "") -> str:
    """An action kind (or a case's outcome) in words, with the test's result when it is a test
    result: "Test result: Positive". "" without a kind."""
    if not kind:
        return ""
    label = str(_KIND_LABELS.get(kind, kind))
    result = result_label(test_result) if kind == ActionKind.TEST_RESULT else None
    if result is None:
        return label
    return _("%(action)s: %(result)s") % {"action": label, "result": result}


def outcome_result_subquery() -> Subquery:
    """For a FollowUpCase queryset's `.annotate(outcome_result=…)`: the result of the case's
    latest recorded test result (recording order, as `outcome` follows it) — no query of its own."""
    return Subquery(
        FollowUpAction.objects.filter(case_id=OuterRef("pk"), kind=ActionKind.TEST_RESULT)
        .order_by("-id").values("test_result")[:1]
    )


def case_outcome_label(case: Any) -> str:
    """A FollowUpCase's outcome in words with its result: `outcome_result` when the queryset
    annotated it (outcome_result_subquery), else its actions (prefetched or one query)."""
    if not case.outcome:
        return ""
    if case.outcome != ActionKind.TEST_RESULT:
        return action_label(case.outcome)
    if hasattr(case, "outcome_result"):
        result = case.outcome_result
    else:
        tests = [a for a in case.actions.all() if a.kind == ActionKind.TEST_RESULT]
        result = max(tests, key=lambda a: a.pk).test_result if tests else ""
    return action_label(case.outcome, result)
