"""The daily update of one person (cập nhật hằng ngày): PUT /api/v1/people/{id}/updates/{day}
answers with its assessment, or — in rush mode (decision D, core/overload.py) — 202 with the
update stored first and a `Location` to poll with GET.

Writes are for the person's declarers only (`access_declaring`); the poll also serves officials
in their jurisdiction, audited (`access_person_for_user`). Any other person id answers 404.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from typing import Any, Final

from django.core.signals import setting_changed
from django.db import IntegrityError
from django.db.models import Model
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import get_script_prefix, reverse
from ninja import Field, Router, Schema, Status

from khaibao.accounts.models import Account
from khaibao.api import rules
from khaibao.api.auth import AuthedRequest
from khaibao.api.declarations import AssessmentOut, PlainOut, ReasonOut, RecommendationOut
from khaibao.api.idempotency import idempotency_claim, idempotency_in_write
from khaibao.api.schemas import JSON_CONTENT_TYPE, ErrorOut, StrictSchema, json_answer, json_render
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.overload import rush_requested
from khaibao.declarations.answer_labels import symptom_items
from khaibao.monitoring import services as monitoring_services
from khaibao.monitoring import statements as monitoring_statements
from khaibao.monitoring.explain import assessment_out, explain_reasons, explain_recommendations, level_display
from khaibao.monitoring.models import Assessment, DailyUpdate, feeling_label
from khaibao.monitoring.pending import pending_poll_seconds, update_pending
from khaibao.monitoring.selectors import daily_update_of, person_status
from khaibao.monitoring.services import UPDATE_CREATED_READS, UPDATE_CREATED_SQL
from khaibao.monitoring.statements import FromWritten
from khaibao.people.access import access_declaring, access_person_for_user, household_declaring_sql

router = Router(tags=["declarations"])


class DailyUpdateBody(StrictSchema):
    symptoms: list[str] = rules.stated(rules.UPDATE_SYMPTOMS, [])
    temperature: float | None = rules.stated(rules.TEMPERATURE, None)
    # Missing is refused by the service with its own field message ("well" or "unwell").
    feeling: str = Field("", description='"well" or "unwell" (required)')


class LabelledCodeOut(PlainOut):
    code: str
    label: str


class _DailyUpdateFields(Schema):
    """What a daily update answers about itself, assessed (200/201) or stored first (202)."""

    day: date
    symptoms: list[str]
    symptom_labels: list[LabelledCodeOut] = Field(..., description="each symptom code with its name")
    temperature: float | None
    feeling: str
    feeling_label: str


class DailyUpdateOut(_DailyUpdateFields):
    assessment: AssessmentOut


class PendingOut(Schema):
    status: str = Field(
        ...,
        description='"pending": stored; assessed as soon as the service has room (usually within a minute,'
        " longer in a long rush): poll the Location after Retry-After seconds",
    )


class DailyUpdatePendingOut(_DailyUpdateFields):
    """A daily update stored first in rush mode (202): poll the `Location` for its assessment."""

    assessment: PendingOut


class PolledAssessmentOut(Schema):
    status: str = Field(..., description='"pending" (poll again after Retry-After seconds) or "done"')
    level: str | None = None
    level_word: str | None = Field(None, description="the level in words; null with `level`")
    reasons: list[ReasonOut] = []
    recommendations: list[RecommendationOut] = []
    monitoring_until: date | None = None
    ruleset_version: str | None = None


class DailyUpdatePolledOut(Schema):
    day: date
    symptoms: list[str]
    symptom_labels: list[LabelledCodeOut] = Field(..., description="each symptom code with its name")
    temperature: float | None
    feeling: str
    feeling_label: str
    assessment: PolledAssessmentOut


# The daily update's route as the lanes before ninja take it (api/hot_lane.py, api/rush.py): a plain
# decimal id without a leading zero, of at most 18 digits (a bigint), and a day written YYYY-MM-DD.
# Anything else is left to ninja, which answers it.
UPDATE_PATH: Final = re.compile(r"/api/v1/people/([1-9][0-9]{0,17})/updates/([0-9]{4}-[0-9]{2}-[0-9]{2})")


def update_input(request: HttpRequest, day_text: str) -> tuple[date, DailyUpdateBody] | None:
    """The day and the body of a daily update read as ninja reads them (its parser's `json.loads`,
    then the schema in Python mode), for the lanes before ninja. None when ninja must answer
    instead, with its own wording: no body, not a date, not JSON, nested past the parser's depth,
    refused by the schema."""
    body = request.body
    if not body:
        return None
    try:
        return date.fromisoformat(day_text), DailyUpdateBody.model_validate(json.loads(body))
    except Exception:  # as ninja's parser: any exception
        return None


def pending_retry_after() -> str:
    """A 202's (and a pending poll's) Retry-After: when to poll the Location for the assessment."""
    return str(pending_poll_seconds())


def pending_location(person_id: int, day: date) -> str:
    """Where a daily update stored first is polled for its assessment: the URL `reverse` gives,
    from a template reversed once per script prefix (reversing cost 72 µs, a twentieth of the rush
    lane's CPU: bench/RESULTS.md, "Issue 19: the sixth pass")."""
    return _location_template(get_script_prefix()).format(person_id=person_id, day=day.isoformat())


# Values no real path holds, swapped for the template's fields after reversing them once.
_PERSON_MARK: Final = 987654321
_DAY_MARK: Final = date(1111, 11, 11)


@cache
def _location_template(prefix: str) -> str:  # per script prefix; forgotten with the URLconf (below)
    url = reverse("api-v1:daily_update_get", kwargs={"person_id": _PERSON_MARK, "day": _DAY_MARK})
    return url.replace("{", "{{").replace("}", "}}").replace(str(_PERSON_MARK), "{person_id}", 1).replace(
        _DAY_MARK.isoformat(), "{day}", 1
    )


def pending_answer(update: Any) -> dict[str, Any]:
    """The 202's body (DailyUpdatePendingOut): the update, its assessment pending."""
    return _update_fields(update) | {"assessment": {"status": "pending"}}


def _update_fields(update: Any) -> dict[str, Any]:
    return {
        "day": update.day,
        "symptoms": update.symptoms,
        "symptom_labels": symptom_items(update.symptoms or []),
        "temperature": float(update.temperature) if update.temperature is not None else None,
        "feeling": update.feeling,
        "feeling_label": feeling_label(update.feeling),
    }


# The update's own write stores the key's answer (api/idempotency.py, KeyClaim) on PostgreSQL.
idempotency_in_write(
    "PUT", r"/api/v1/people/\d+/updates/\d{4}-\d{2}-\d{2}", when=monitoring_statements.writes_in_one_statement
)
# That answer is stored before it is known whether the write creates the day's row: its status is
# computed from the written row by the same statement, as `created` (201) or not (200); it is
# recorded at the update's time (`updated_at`: the same instant, one parameter fewer — an assessed
# write stays within statements.PARAMS_MAX).
_ANSWER_FROM_WRITTEN: Final = {
    "status_code": FromWritten(
        "CASE WHEN " + UPDATE_CREATED_SQL + " THEN 201 ELSE 200 END", reads=UPDATE_CREATED_READS
    ),
    "created_at": FromWritten("updated_at", reads=("updated_at",)),
}


@router.put(
    "/{person_id}/updates/{day}",
    response={200: DailyUpdateOut, 201: DailyUpdateOut, 202: DailyUpdatePendingOut, 400: ErrorOut, 404: ErrorOut},
)
def daily_update_put(
    request: AuthedRequest, response: HttpResponse, person_id: int, day: date, data: DailyUpdateBody
) -> Status[dict[str, Any]] | HttpResponse:
    """Daily update (cập nhật hằng ngày) for today or yesterday: 201 the first time, 200 when
    replaced, with its assessment. While the service is overloaded (rush mode): 202, stored, with
    `"assessment": {"status": "pending"}` and a `Location` to poll (GET) for the assessment."""
    if not rush_requested(request):
        return daily_update_answer(request, request.auth, person_id, day, data)
    declaring = access_declaring(request.auth, person_id)
    person = declaring.person
    stored, _created = monitoring_services.daily_update_store(
        **update_fields(request, request.auth, day, data), person=person, declared_as=declaring.declared_as
    )
    response["Location"] = pending_location(person.pk, day)
    response["Retry-After"] = pending_retry_after()
    return Status(202, pending_answer(stored))


def daily_update_answer(
    request: HttpRequest, account: Account, person_id: int, day: date, data: DailyUpdateBody
) -> HttpResponse:
    """The assessed daily update's answer (201 or 200) for `account` (the bearer token's): the view
    above and the update lane before ninja (api/hot_lane.py) both answer with this, so they answer
    alike. Errors are raised (ServiceError, Http404) for the API's handlers to answer."""
    fields = update_fields(request, account, day, data)
    answered = _put_checked(request, account, person_id, fields)
    if answered is not None:
        return answered
    declaring = access_declaring(account, person_id)
    update, assessment, created = monitoring_services.daily_update_put(
        **fields, person=declaring.person, declared_as=declaring.declared_as
    )
    # Rendered without the schema's round trip (api.schemas.json_answer): built in DailyUpdateOut's order.
    return json_answer(request, _answer(update, assessment), status=201 if created else 200)


def update_fields(request: HttpRequest, account: Account, day: date, data: DailyUpdateBody) -> dict[str, Any]:
    """What the monitoring services take from a daily update's request (the view's and the rush lane's)."""
    return {
        "actor": account, "day": day, "symptoms": data.symptoms, "temperature": data.temperature,
        "feeling": data.feeling, "ip": client_ip(request),
    }


def _put_checked(
    request: HttpRequest, account: Account, person_id: int, fields: dict[str, Any]
) -> HttpResponse | None:
    """A household owner's update (most of them) on PostgreSQL in one read and one write: the
    access check read with the assessment's inputs (`daily_update_put_checked`), the
    Idempotency-Key's answer written with the update. None: the usual way answers (a volunteer's
    delegation, a 404, a first assessment, SQLite), nothing having been written."""
    access = household_declaring_sql(account, person_id)
    if access is None or not monitoring_statements.writes_in_one_statement():
        return None
    claim = idempotency_claim(request)
    rendered: list[bytes] = []

    def record(update: DailyUpdate, assessment: Assessment) -> Model:
        assert claim is not None
        rendered.append(json_render(request, _answer(update, assessment)))
        return claim.record(status_code=200, content_type=JSON_CONTENT_TYPE, body=rendered[0])

    try:
        put = monitoring_services.daily_update_put_checked(
            **fields, person_id=person_id, access=access, record=record if claim is not None else None,
            record_from_written=_ANSWER_FROM_WRITTEN,
        )
    except ServiceError:
        access_declaring(account, person_id)  # someone they may not declare for: 404 before 400, as ever
        raise
    except IntegrityError:
        if claim is None:
            raise
        # The key's record exists (a retry, or a concurrent request first): the whole write is
        # undone, and the middleware answers from that record.
        claim.conflict = True
        return HttpResponse(status=409)
    if put is None:
        return None
    update, assessment, created = put
    if claim is not None:
        claim.stored = True
    # The same bytes as json_answer (the answer stored under the key is this one).
    body = rendered[0] if rendered else json_render(request, _answer(update, assessment))
    return HttpResponse(body, status=201 if created else 200, content_type=JSON_CONTENT_TYPE)


def _answer(update: DailyUpdate, assessment: Assessment) -> dict[str, Any]:
    # DailyUpdateOut, in its order.
    return _update_fields(update) | {"assessment": assessment_out(assessment)}


@router.get(
    "/{person_id}/updates/{day}", response={200: DailyUpdatePolledOut, 404: ErrorOut}, url_name="daily_update_get"
)
def daily_update_get(request: AuthedRequest, response: HttpResponse, person_id: int, day: date) -> dict[str, Any]:
    """The daily update of `day` and its assessment: `"status": "pending"` while the worker has not
    assessed it yet (rush mode), with a `Retry-After` saying when to ask again, else `"done"` with
    the person's assessment."""
    person = access_person_for_user(request.auth, person_id, purpose="status", ip=client_ip(request))
    update = daily_update_of(person, day)
    if update is None:
        raise Http404
    if update_pending(person.pk, day):
        response["Retry-After"] = pending_retry_after()
        return pending_answer(update)
    status = person_status(person)
    if status is None or status.assessed_at is None:
        return _update_fields(update) | {"assessment": {"status": "done"}}
    return _update_fields(update) | {"assessment": {
        "status": "done",
        "level": status.level,
        "level_word": level_display(status.level)["word"],
        "reasons": explain_reasons(status.reasons),
        "recommendations": explain_recommendations(status.recommendations),
        "monitoring_until": status.monitoring_until,
        "ruleset_version": status.ruleset_version,
    }}


@receiver(setting_changed)
def _urls_changed(*, setting: str, **kwargs: object) -> None:
    if setting == "ROOT_URLCONF":
        _location_template.cache_clear()
