"""Values a client may send that the server could not hold — a year 1 or 9999, a time without an
offset, a lone UTF-16 surrogate, an id past bigint, a map point outside Viet Nam — get a 400
(or the 404 of a missing object) naming the field, never a 500, and nothing is written.

Each rule has one owner: the date range `core.params.date_in_range`, the API's `AwareDatetime`
and `StrictSchema`'s text check (api/schemas.py), the id bound `core.params.ID_MAX` in the access
layer, the point bounds `reports.services.point_errors`.
"""

from __future__ import annotations

import datetime as dt
import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone
from django.utils.translation import override

from khaibao.api.errors import validation_fields
from khaibao.security_suite.conftest import SecWorld

BIG = 2**63
SURROGATE = "\ud800"

# Every table a refused request could have written to.
_MODELS = [
    "declarations.Declaration", "reports.Report", "reports.ReportNote", "reports.ReportReply",
    "zones.ZoneVersion", "zones.PlaceVersion", "news.Announcement", "cases.FollowUpAction", "audit.AuditEvent",
    "venues.Venue", "venues.CaseVisit", "people.VolunteerAppointment",
]


def _counts() -> dict[str, int]:
    counts = {}
    for label in _MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        counts[label] = model.objects.count()
    return counts


@dataclass
class Case:
    name: str
    role: str
    method: str
    path: Callable[[SecWorld], str]
    body: Callable[[SecWorld], dict[str, Any]] | None = None
    field: str | None = None
    status: int = 400

    def __str__(self) -> str:
        return self.name


def _ago(days: int) -> str:
    return (timezone.localdate() - timedelta_days(days)).isoformat()


def _later() -> str:
    return (timezone.localtime() + timedelta_days(30)).date().isoformat()


def timedelta_days(days: int) -> Any:
    from datetime import timedelta

    return timedelta(days=days)


def _travel(start: str, end: str) -> dict[str, Any]:
    return {"travel": [{"province_code": 79, "from": start, "to": end}], "symptoms": [], "exposures": [],
            "conditions": [], "pregnant": False, "commitment": True, "consent": True}


def _report(**overrides: Any) -> dict[str, Any]:
    from khaibao.reports.tests.helpers import report_body

    return report_body(**overrides)


def _zone(w: SecWorld, **overrides: Any) -> dict[str, Any]:
    return {"name": "Phường Hoàn Kiếm", "level": 2, "ward_codes": [w.named.hoan_kiem.code], **overrides}


def _place(w: SecWorld, **overrides: Any) -> dict[str, Any]:
    now = timezone.localtime()
    return {"name": "Chợ Đồng Xuân", "ward_code": w.named.hoan_kiem.code, "lat": 21.0245, "lon": 105.8530,
            "window_start": (now - timedelta_days(2)).strftime("%Y-%m-%dT%H:00"),
            "window_end": (now - timedelta_days(1)).strftime("%Y-%m-%dT%H:00"), **overrides}


def _visit(w: SecWorld, **overrides: Any) -> dict[str, Any]:
    now = timezone.localtime()
    return {"person_id": w.ids["person"], "start": (now - timedelta_days(1)).isoformat(),
            "end": now.isoformat(), **overrides}


def _venue(w: SecWorld, **overrides: Any) -> dict[str, Any]:
    return {"name": "Quán phở Thìn", "kind": "shop", "ward_code": w.named.hoan_kiem.code, "street": "13 Lò Đúc",
            **overrides}


CASES = [
    # 1. Dates outside the range the domain knows.
    Case("travel from year 1", "citizen_owner", "post", lambda w: f"/people/{w.ids['person_self']}/declarations",
         lambda w: _travel("0001-01-01", _ago(2)), "travel.0.from"),
    Case("travel to year 9999", "citizen_owner", "post", lambda w: f"/people/{w.ids['person_self']}/declarations",
         lambda w: _travel(_ago(3), "9999-12-31"), "travel.0.to"),
    Case("report happened_at year 1", "citizen_owner", "post", lambda w: "/reports",
         lambda w: _report(happened_at="0001-01-01T00:00:00"), "happened_at"),
    Case("zone valid_from year 1", "province_official", "post", lambda w: "/zones",
         lambda w: _zone(w, valid_from="0001-01-01"), "valid_from"),
    Case("zone valid_until year 9999", "province_official", "post", lambda w: "/zones",
         lambda w: _zone(w, valid_until="9999-12-31"), "valid_until"),
    Case("place window_start year 1", "province_official", "post", lambda w: "/zones/places",
         lambda w: _place(w, window_start="0001-01-01"), "window_start"),
    Case("place window_end year 9999", "province_official", "post", lambda w: "/zones/places",
         lambda w: _place(w, window_end="9999-12-31T23:59"), "window_end"),
    Case("triage since_from year 1", "province_official", "get", lambda w: "/triage?since_from=0001-01-01",
         field="since_from"),
    Case("triage since_to year 9999", "province_official", "get", lambda w: "/triage?since_to=9999-12-31",
         field="since_to"),
    Case("stats to year 1", "province_official", "get", lambda w: "/stats/summary?to=0001-01-01", field="to"),
    Case("stats from year 9999", "province_official", "get", lambda w: "/stats/summary?from=9999-12-31", field="from"),
    Case("audit date_to year 9999", "dpo", "get", lambda w: "/audit?date_to=9999-12-31", field="date_to"),
    Case("audit date_from year 1", "dpo", "get", lambda w: "/audit?date_from=0001-01-01", field="date_from"),
    Case("privacy requests date_from year 1", "dpo", "get", lambda w: "/privacy/requests?date_from=0001-01-01",
         field="date_from"),
    Case("privacy requests date_to year 9999", "dpo", "get", lambda w: "/privacy/requests?date_to=9999-12-31",
         field="date_to"),
    # 2. Times without an offset are Viet Nam's time; a year out of range is refused.
    Case("case action at year 9999", "province_official", "post", lambda w: f"/cases/{w.ids['person']}/actions",
         lambda w: {"kind": "called_reached", "at": "9999-12-31T10:00"}, "at"),
    Case("case visit start year 1", "ward_official", "post", lambda w: f"/venues/{w.ids['venue']}/case-visits",
         lambda w: _visit(w, start="0001-01-01T00:00"), "start"),
    Case("volunteer expires_at year 9999", "ward_official", "post", lambda w: "/volunteers",
         lambda w: {"phone": "0900000002", "expires_at": "9999-12-31"}, "expires_at"),
    Case("news publish_at year 9999", "province_official", "post", lambda w: "/news",
         lambda w: {"title": "Thông báo", "publish_at": "9999-12-31T00:00"}, "publish_at"),
    # 3. A lone surrogate cannot be stored as UTF-8.
    Case("zone name", "province_official", "post", lambda w: "/zones", lambda w: _zone(w, name=f"A{SURROGATE}"), "name"),
    Case("zone advice", "province_official", "post", lambda w: "/zones",
         lambda w: _zone(w, advice={"vi": SURROGATE, "en": ""}), "advice"),
    Case("place name", "province_official", "post", lambda w: "/zones/places",
         lambda w: _place(w, name=SURROGATE), "name"),
    Case("news title", "province_official", "post", lambda w: "/news", lambda w: {"title": SURROGATE, "body": "Nội dung"}, "title"),
    Case("news body", "province_official", "post", lambda w: "/news",
         lambda w: {"title": "Thông báo", "body": f"x{SURROGATE}"}, "body"),
    Case("report description", "citizen_owner", "post", lambda w: "/reports",
         lambda w: _report(description=f"Tụ tập {SURROGATE} đông người"), "description"),
    Case("report note", "ward_official", "post", lambda w: f"/reports/{w.ids['report']}/notes",
         lambda w: {"text": SURROGATE}, "text"),
    Case("report reply", "ward_official", "post", lambda w: f"/reports/{w.ids['report']}/replies",
         lambda w: {"text": SURROGATE}, "text"),
    Case("case action notes", "province_official", "post", lambda w: f"/cases/{w.ids['person']}/actions",
         lambda w: {"kind": "called_reached", "notes": SURROGATE}, "notes"),
    # 4. Ids past bigint: the same 404 as a missing object, or a 400 naming the filter.
    Case("person status, official", "province_official", "get", lambda w: f"/people/{BIG}/status", status=404),
    Case("person status, citizen", "citizen_owner", "get", lambda w: f"/people/{BIG}/status", status=404),
    Case("case visit person_id", "ward_official", "post", lambda w: f"/venues/{w.ids['venue']}/case-visits",
         lambda w: _visit(w, person_id=BIG), "person_id"),
    Case("report queue ward", "ward_official", "get", lambda w: f"/reports/queue?ward={BIG}", field="ward"),
    Case("venues ward_code", "ward_official", "get", lambda w: f"/venues?ward_code={BIG}", field="ward_code"),
    # 6. A venue's map point is in Viet Nam, as a report's is.
    Case("venue at 0,0", "citizen_owner", "post", lambda w: "/venues", lambda w: _venue(w, lat=0, lon=0), "lat"),
    Case("venue at -1,-1", "citizen_owner", "post", lambda w: "/venues", lambda w: _venue(w, lat=-1, lon=-1), "lat"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_it_refuses_a_value_it_cannot_hold(sec: SecWorld, case: Case) -> None:
    api = sec.api(case.role)
    api.client.raise_request_exception = False
    before = _counts()
    path = case.path(sec)
    if case.method == "get":
        resp = api.get(path)
    else:
        resp = getattr(api, case.method)(path, case.body(sec) if case.body else {})
    assert resp.status_code == case.status, (resp.status_code, resp.content[:400])
    error = resp.json()["error"]
    if case.field is not None:
        assert case.field in error["fields"], error
        assert error["fields"][case.field]
    assert _counts() == before


# 2. A time without an offset is Viet Nam's time, on every datetime field of a request body.
def test_it_reads_a_time_without_offset_as_viet_nam_time(sec: SecWorld) -> None:
    official = sec.api("province_official")
    official.client.raise_request_exception = False
    at = (timezone.localtime() - timedelta_days(1)).replace(microsecond=0)
    resp = official.post(f"/cases/{sec.ids['person']}/actions", {"kind": "called_reached", "at": at.strftime("%Y-%m-%dT%H:%M")})
    assert resp.status_code == 201, resp.content[:400]
    assert resp.json()["at"].startswith(at.strftime("%Y-%m-%dT%H:%M"))
    assert resp.json()["at"].endswith("+07:00")


def test_it_takes_a_case_visit_without_offset(sec: SecWorld) -> None:
    ward = sec.api("ward_official")
    ward.client.raise_request_exception = False
    now = timezone.localtime().replace(microsecond=0)
    resp = ward.post(f"/venues/{sec.ids['venue']}/case-visits", {
        "person_id": sec.ids["person"], "start": (now - timedelta_days(1)).strftime("%Y-%m-%dT%H:%M"),
        "end": now.strftime("%Y-%m-%dT%H:%M"),
    })
    assert resp.status_code < 500, resp.content[:400]


def test_it_takes_a_volunteer_expiry_without_offset(sec: SecWorld) -> None:
    ward = sec.api("ward_official")
    ward.client.raise_request_exception = False
    resp = ward.post("/volunteers", {"phone": "0900000002", "expires_at": f"{_later()}T17:00"})
    assert resp.status_code < 500, resp.content[:400]
    resp = ward.post("/volunteers", {"phone": "0900000002", "expires_at": _later()})
    assert resp.status_code < 500, resp.content[:400]


# 5. Every validation message is in the request's language.
@pytest.mark.parametrize(("kind", "vietnamese"), [
    ("date_from_datetime_inexact", "Phải là ngày (YYYY-MM-DD)."),
    ("string_unicode", "Phải là văn bản."),
    ("no_such_pydantic_type", "Giá trị không hợp lệ."),
])
def test_it_translates_every_validation_message(kind: str, vietnamese: str, caplog: Any) -> None:
    errors = [{"type": kind, "loc": ("body", "data", "field"), "msg": "English from pydantic", "ctx": {}}]
    with override("vi"), caplog.at_level(logging.WARNING, logger="khaibao.api.errors"):
        assert validation_fields(errors) == {"field": vietnamese}  # type: ignore[arg-type]
    if kind == "no_such_pydantic_type":
        assert kind in caplog.text


def test_it_names_a_date_given_with_a_time_in_vietnamese(sec: SecWorld) -> None:
    api = sec.api("citizen_owner")
    body = _travel(f"{_ago(3)}T10:30", _ago(2))
    resp = api.post(f"/people/{sec.ids['person_self']}/declarations", body, headers={"Accept-Language": "vi"})
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"]["travel.0.from"] == "Phải là ngày (YYYY-MM-DD)."


def test_it_says_which_dates_it_takes(sec: SecWorld) -> None:
    resp = sec.api("dpo").get("/audit?date_to=9999-12-31", headers={"Accept-Language": "vi"})
    assert resp.status_code == 400
    assert "1900" in resp.json()["error"]["fields"]["date_to"]


# Input schemas whose dates are not yet ApiDate: their modules have other owners. A date of birth
# is bounded by its own rule (1900 … today, people/validators.py), a contact's date by the lookback.
_NOT_YET: set[str] = set()


def _bare_dates(annotation: Any, metadata: list[Any]) -> bool:
    """Whether `annotation` holds a date or datetime without the API's range (and zone) check."""
    from khaibao.api import schemas

    checks = {schemas.ApiDate.__metadata__[0].func, schemas.ApiDateTime.__metadata__[0].func}  # type: ignore[attr-defined]
    if typing.get_origin(annotation) is typing.Annotated:
        return _bare_dates(typing.get_args(annotation)[0], list(annotation.__metadata__))
    if isinstance(annotation, type) and issubclass(annotation, dt.date):
        return not any(getattr(m, "func", None) in checks for m in metadata)
    return any(_bare_dates(arg, []) for arg in typing.get_args(annotation))


def test_every_date_of_a_request_is_checked() -> None:
    """Every date and time an input schema takes is an ApiDate or ApiDateTime (api/schemas.py)."""
    from khaibao.api import v1  # noqa: F401  (every router, so every schema, imported)
    from khaibao.api.schemas import StrictSchema

    seen, todo, bare = set(), [StrictSchema], []
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
        if cls.__name__.endswith("Out"):
            continue
        for name, info in cls.model_fields.items():
            if _bare_dates(info.annotation, list(info.metadata)) and f"{cls.__name__}.{name}" not in _NOT_YET:
                bare.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert not bare, bare


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_a_console_date_filter_out_of_range_is_a_field_error(sec: Any, value: str) -> None:
    """The console's filter forms take the same date range (core.forms.date_filter_field)."""
    page = sec.web("dpo")
    page.raise_request_exception = False
    resp = page.get(f"/staff/audit/?date_to={value}")
    assert resp.status_code in (200, 400), resp.status_code
    assert "1900-01-01" in resp.content.decode()
