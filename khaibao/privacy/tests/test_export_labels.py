"""The "My data" file keeps the codes as stored and puts their words beside them (`<code>_label`),
in the language of the request: a person reads the file too (issue 17)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from khaibao.privacy.models import Erasure
from khaibao.privacy.tests.helpers import declare_and_update
from khaibao.reports.tests.helpers import report_body
from khaibao.tracing.tests.helpers import make_f1
from khaibao.venues.tests.test_api_checkins import checkin, register
from khaibao.zones.tasks import zone_warnings_run
from khaibao.zones.tests.test_warnings import declare_zone, run_of

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
VI = {"HTTP_ACCEPT_LANGUAGE": "vi"}

# (section, code, label) present in the file of a household with one of each.
LABELLED = [
    ("people", "relation", "relation_label"),
    ("people", "sex", "sex_label"),
    ("people", "nationality", "nationality_name"),
    ("status", "level", "level_label"),
    ("status", "contact_level", "contact_level_label"),
    ("declarations", "kind", "kind_label"),
    ("declarations", "declared_as", "declared_as_label"),
    ("declarations.assessment", "level", "level_label"),
    ("daily_updates", "feeling", "feeling_label"),
    ("daily_updates", "updated_as", "updated_as_label"),
    ("assessments", "level", "level_label"),
    ("assessments", "source", "source_label"),
    ("followup", "status", "status_label"),
    ("followup", "outcome", "outcome_label"),
    ("followup.actions", "kind", "kind_label"),
    ("followup.actions", "test_result", "test_result_label"),
    ("zone_warnings", "reason", "reason_label"),
    ("contacts", "kind", "kind_label"),
    ("contacts", "level", "level_label"),
    ("checkins", "via", "via_label"),
    ("notifications", "kind", "kind_label"),
    ("reports", "category", "category_label"),
    ("reports", "status", "status_label"),
    ("erasures", "reason", "reason_label"),
    ("erasures", "status", "status_label"),
]


def _household_with_one_of_each(world: Any, api: Any) -> None:
    """Lan's household: her child declared and updated, was warned of a zone (so Lan has a
    notification) and checked in; Lan is a contact (F1) of her mother, who tested positive (a
    follow-up with a test result); Lan sent a report and asked to erase her mother's data."""
    client = api.as_(world.lan)
    declare_and_update(client, world.lan_child)
    zone = declare_zone(api, world)
    zone_warnings_run.call(run_of(zone).pk)
    venue = register(api, world.nam)
    assert checkin(api, world.lan, venue["code"], [world.lan_child.id]).status_code == 201
    make_f1(world, api, world.lan_self)  # lan_parent: F0 by a positive test; Lan: her contact (F1)
    assert client.post("/api/v1/reports", report_body()).status_code == 201
    Erasure.objects.create(person_id=world.lan_parent.id, requested_by=world.lan, reason="request")


def _sections(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name in ("notifications", "reports", "erasures"):
        for row in data[name]:
            yield name, row
    for person in data["people"]:
        yield "people", person
        if person["status"]:
            yield "status", person["status"]
        for name in ("declarations", "daily_updates", "assessments", "followup", "zone_warnings", "contacts", "checkins"):
            for row in person[name]:
                yield name, row
                if name == "declarations" and row["assessment"]:
                    yield "declarations.assessment", row["assessment"]
                if name == "followup":
                    for action in row["actions"]:
                        yield "followup.actions", action


def _export(api: Any, world: Any, headers: dict[str, str]) -> dict[str, Any]:
    resp = api.as_(world.lan).get("/api/v1/privacy/export", **headers)
    assert resp.status_code == 200, resp.content
    return json.loads(resp.content)


@pytest.mark.parametrize("headers", [EN, VI], ids=["en", "vi"])
def test_it_puts_words_beside_every_code(world: Any, api: Any, headers: dict[str, str]) -> None:
    _household_with_one_of_each(world, api)
    data = _export(api, world, headers)
    seen: set[tuple[str, str]] = set()
    for section, row in _sections(data):
        for _section, code, label in (x for x in LABELLED if x[0] == section):
            assert label in row, (section, label)
            if row[code]:
                assert row[label], (section, code, row[code])
                seen.add((section, code))
    # A household with one of each: every code was there, with its words.
    assert seen == {(section, code) for section, code, _label in LABELLED}
    # Reasons and advice are explained by their owner (monitoring.explain), rule by rule.
    assessment = next(a for p in data["people"] for a in p["assessments"] if a["reasons"])
    assert [r["rule"] for r in assessment["reason_labels"]] == assessment["reasons"]
    assert all(r["message"] and r["message"] != r["rule"] for r in assessment["reason_labels"])
    assert [r["code"] for r in assessment["recommendation_labels"]] == assessment["recommendations"]


def test_it_gives_the_words_in_vietnamese_under_vi(world: Any, api: Any) -> None:
    _household_with_one_of_each(world, api)
    data = _export(api, world, VI)
    people = {p["id"]: p for p in data["people"]}
    child, lan, grandmother = people[world.lan_child.id], people[world.lan_self.id], people[world.lan_parent.id]
    assert (child["relation"], child["relation_label"]) == ("child", "Con")
    (contact,) = lan["contacts"]
    assert (contact["level"], contact["level_label"]) == ("F1", "Tiếp xúc gần (F1)")
    assert lan["status"]["contact_level_label"] == "Tiếp xúc gần (F1)"
    assert child["declarations"][0]["kind_label"] == "Khai báo y tế"
    warning = child["zone_warnings"][0]
    assert (warning["reason"], warning["reason_label"]) == ("resident", "Sống tại đó")
    assert child["checkins"][0]["via_label"] == "Quét mã QR"
    (case,) = grandmother["followup"]
    assert (case["status"], case["status_label"]) == ("open", "Đang mở")
    action = case["actions"][-1]
    assert (action["kind_label"], action["test_result_label"]) == ("Kết quả xét nghiệm", "Dương tính")
    assert any(a["source_label"] == "Truy vết" for a in lan["assessments"])
    (report,) = data["reports"]
    assert (report["category_label"], report["status_label"]) == ("Tụ tập trái quy định", "Đã tiếp nhận")
    (erasure,) = data["erasures"]
    assert (erasure["reason_label"], erasure["status_label"]) == ("Người dân yêu cầu xóa dữ liệu", "Đang chờ thực hiện")


def test_it_keeps_every_code_as_stored(world: Any, api: Any) -> None:
    _household_with_one_of_each(world, api)
    data = _export(api, world, EN)
    child = next(p for p in data["people"] if p["id"] == world.lan_child.id)
    assert child["relation"] == "child"
    lan = next(p for p in data["people"] if p["id"] == world.lan_self.id)
    assert lan["contacts"][0]["kind"] == "close"
    assert child["checkins"][0]["via"] == "scan"
    assert {n["kind"] for n in data["notifications"]} >= {"zone_warning"}
    assert data["erasures"][0]["reason"] == "request"


# --- the person's own codes: sex and nationality, in every download ----------------------------
# The household export (API and page) and "My data" (API and page) are one file with two formats:
# each carries the words of the people selectors (people.selectors.person_code_labels), as the
# household's API and pages do.


def _signed_in(account: Any) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _downloads(world: Any, api: Any, language: str) -> dict[str, dict[str, Any]]:
    headers = {"Accept-Language": language}
    answers = {
        "/api/v1/privacy/export": api.as_(world.lan).get("/api/v1/privacy/export", headers=headers),
        "/api/v1/me/export": api.as_(world.lan).get("/api/v1/me/export", headers=headers),
        "/household/export.json": _signed_in(world.lan).get("/household/export.json", headers=headers),
        "/my-data/export.json": _signed_in(world.lan).get("/my-data/export.json", headers=headers),
    }
    for url, resp in answers.items():
        assert resp.status_code == 200, (url, resp.content)
    return {url: json.loads(resp.content) for url, resp in answers.items()}


def _lan_herself(data: dict[str, Any], world: Any) -> dict[str, Any]:
    return next(p for p in data["people"] if p["id"] == world.lan_self.id)


def test_every_download_puts_words_beside_sex_and_nationality_in_vietnamese(world: Any, api: Any) -> None:
    for url, data in _downloads(world, api, "vi").items():
        lan = _lan_herself(data, world)
        assert (lan["sex"], lan["sex_label"]) == ("female", "Nữ"), url
        assert (lan["nationality"], lan["nationality_name"]) == ("VN", "Việt Nam"), url


def test_every_download_puts_words_beside_sex_and_nationality_in_english(world: Any, api: Any) -> None:
    for url, data in _downloads(world, api, "en").items():
        lan = _lan_herself(data, world)
        assert (lan["sex"], lan["sex_label"]) == ("female", "Female"), url
        assert (lan["nationality"], lan["nationality_name"]) == ("VN", "Vietnam"), url


def test_the_downloads_words_are_the_household_apis(world: Any, api: Any) -> None:
    # One owner of a person's words: the file says what GET /people says.
    people = api.as_(world.lan).get("/people", headers={"Accept-Language": "en"}).json()
    shown = {p["id"]: (p["sex_label"], p["nationality_name"]) for p in people}
    data = _downloads(world, api, "en")["/api/v1/me/export"]
    assert {p["id"]: (p["sex_label"], p["nationality_name"]) for p in data["people"]} == shown
