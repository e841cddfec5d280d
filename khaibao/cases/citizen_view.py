"""What a person (or their household) sees of their follow-up: the latest outcome and the
advice that goes with it — never the officials' notes or names."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, LiteralString

from django.utils.translation import gettext_lazy

from khaibao.cases.labels import action_label
from khaibao.cases.labels import result_label as result_label  # re-exported (api.cases, privacy.selectors)
from khaibao.cases.models import ActionKind, CaseStatus, FollowUpAction, FollowUpCase, TestResult
from khaibao.core import rowsql
from khaibao.core.hotlines import hotline_params
from khaibao.monitoring.sources import StatusReadSource
from khaibao.people.models import Person

# Lazy: these are built at import, but must be translated into each reader's language. Each is
# formatted with hotline_params() (followup_advice): the hotline is a setting.
_ADVICE = {
    ActionKind.CALLED_REACHED: gettext_lazy("A health official spoke with you. Follow the advice you were given and keep sending your daily update."),
    ActionKind.CALLED_NOT_REACHED: gettext_lazy("A health official tried to call you. Please call your ward health station back."),
    ActionKind.ADVISED_HOME_ISOLATION: gettext_lazy(
        "Isolate at home: stay in a separate room, wear a mask, keep 2 m from others, and send your daily update."
    ),
    ActionKind.REFERRED_FOR_TESTING: gettext_lazy(
        "Go for a test as your ward health station advised. Wear a mask and avoid public transport on the way."
    ),
    ActionKind.CONCENTRATED_QUARANTINE: gettext_lazy("You are in concentrated quarantine. Follow the instructions of the staff there."),
    ActionKind.HOSPITALISED: gettext_lazy("You are being treated in hospital. Follow the instructions of the medical staff."),
    ActionKind.CLEARED: gettext_lazy(
        "A health official has closed your follow-up: you no longer need to be monitored. Keep following the 5K message."
    ),
    ActionKind.LOST_TO_FOLLOWUP: gettext_lazy(
        "We could not reach you. Please contact your ward health station or call the hotline %(hotline)s."
    ),
}
_TEST_ADVICE = {
    TestResult.POSITIVE: gettext_lazy(
        "Your test was positive: you are a confirmed case (F0). Stay isolated and wear a mask; the health "
        "station will arrange hospital isolation and treatment. Call %(hotline)s if you have trouble breathing."
    ),
    TestResult.NEGATIVE: gettext_lazy(
        "Your test was negative. Keep monitoring your health and send your daily update until your monitoring period ends."
    ),
}


# Built once: every status read with a follow-up shows the case's status in words.
_CASE_STATUS_LABELS: dict[str, Any] = dict(CaseStatus.choices)


def followup_advice(kind: str, test_result: str = "") -> str:
    if kind == ActionKind.TEST_RESULT:
        advice = str(_TEST_ADVICE.get(test_result, ""))  # type: ignore[call-overload]
    else:
        advice = str(_ADVICE.get(kind, ""))  # type: ignore[call-overload]
    return advice % hotline_params() if advice else advice


def _latest_sql(vendor: str) -> LiteralString:
    # The latest action of the person's follow-up with its case's status, as one JSON array.
    if vendor == "postgresql":
        return (
            "(SELECT json_build_array(a.kind, a.test_result, a.test_date, a.at, fc.status)::text"
            " FROM cases_followupaction a JOIN cases_followupcase fc ON fc.id = a.case_id"
            " WHERE a.person_id = monitoring_personstatus.person_id ORDER BY a.at DESC, a.id DESC LIMIT 1)"
        )
    return (
        "(SELECT json_array(a.kind, a.test_result, a.test_date, a.at, fc.status)"
        " FROM cases_followupaction a JOIN cases_followupcase fc ON fc.id = a.case_id"
        " WHERE a.person_id = monitoring_personstatus.person_id ORDER BY a.at DESC, a.id DESC LIMIT 1)"
    )


def _no_params(now: datetime) -> list[object]:
    return []


# The status read (monitoring.selectors.person_status_read) reads the latest follow-up action in
# its own statement (settings.STATUS_READ_SOURCES); `followup_for_citizen(read=…)` reads the value.
STATUS_FOLLOW_UP = StatusReadSource(name="follow_up", sql=_latest_sql, params=_no_params)


def _from_read(raw: str | None) -> tuple[FollowUpAction, str] | None:
    if raw is None:
        return None
    kind, test_result, test_date, at, case_status = json.loads(raw)
    moment = datetime.fromisoformat(at)
    action = FollowUpAction(
        kind=kind, test_result=test_result or "", test_date=date.fromisoformat(test_date) if test_date else None,
        at=moment if moment.tzinfo else moment.replace(tzinfo=UTC),
    )
    return action, case_status


def followup_for_citizen(person: Person, *, read: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """What the person (or their household) sees of their follow-up: the latest outcome and
    the advice that goes with it — never the officials' notes or names. No query when `read` (a
    status read's sources, `person_status_read`) holds it; else one, two when there is a follow-up."""
    if read is not None and STATUS_FOLLOW_UP.name in read:
        found = _from_read(read[STATUS_FOLLOW_UP.name])
        if found is None:
            return None
        return _citizen_dict(*found)
    # Every citizen status read asks this, and most people never have a follow-up: precompiled
    # statements (core/rowsql) instead of an ORM query compiled per call, and without the
    # encrypted notes, which the citizen never sees.
    action = rowsql.fetch(
        FollowUpAction, "person_id = %s", [person.pk],
        columns=("id", "case_id", "kind", "test_result", "test_date", "at"),
        order_by='"at" DESC, id DESC',
    )
    if action is None:
        return None
    case = rowsql.fetch_values(FollowUpCase, ("status",), "id = %s", [action.case_id])
    if not case:
        return None  # the case was erased (retention) between the two reads
    return _citizen_dict(action, case[0][0])


def _citizen_dict(action: FollowUpAction, case_status: str) -> dict[str, Any]:
    return {
        "status": case_status,
        "status_label": str(_CASE_STATUS_LABELS.get(case_status, case_status)),
        "outcome": action.kind,
        "outcome_label": action_label(action.kind, action.test_result),
        "test_result": action.test_result or None,
        "test_result_label": result_label(action.test_result),
        "test_date": action.test_date,
        "at": action.at,
        "advice": followup_advice(action.kind, action.test_result),
    }
