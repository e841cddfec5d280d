"""GET /api/v1/cases/{id}: every code of the officials' case view has its words beside it — who
sent a daily update (`updated_as_label`), what changed an assessment (`source_label`) and the
status's colour (`colour_label`) — in the language of the request, and the OpenAPI says so."""

from __future__ import annotations

from typing import Any

from khaibao.cases.tests.helpers import declare, update
from khaibao.declarations.tests.helpers import ago

EN = {"Accept-Language": "en"}
VI = {"Accept-Language": "vi"}


def _case(api: Any, world: Any, person: Any, headers: dict[str, str]) -> dict[str, Any]:
    resp = api.as_(world.ward_official).get(f"/cases/{person.id}", headers=headers)
    assert resp.status_code == 200, resp.content
    body: dict[str, Any] = resp.json()
    return body


def _declared_and_updated(api: Any, world: Any) -> None:
    """Lan declared for herself (high) and sent her own update; she sent her child's too."""
    declare(api, world.lan, world.lan_self, "high")
    update(api, world.lan, world.lan_self, ago(0))
    declare(api, world.lan, world.lan_child, "low")
    update(api, world.lan, world.lan_child, ago(0))


def test_it_says_who_sent_each_update_in_vietnamese(world: Any, api: Any) -> None:
    _declared_and_updated(api, world)

    (own,) = _case(api, world, world.lan_self, VI)["updates"]
    (childs,) = _case(api, world, world.lan_child, VI)["updates"]

    assert (own["updated_as"], own["updated_as_label"]) == ("self", "Bản thân")
    assert (childs["updated_as"], childs["updated_as_label"]) == ("household_owner", "Chủ hộ")


def test_it_says_who_sent_each_update_in_english(world: Any, api: Any) -> None:
    _declared_and_updated(api, world)

    (childs,) = _case(api, world, world.lan_child, EN)["updates"]

    assert (childs["updated_as"], childs["updated_as_label"]) == ("household_owner", "Household owner")


def test_it_says_what_changed_each_assessment(world: Any, api: Any) -> None:
    _declared_and_updated(api, world)

    vi = _case(api, world, world.lan_self, VI)["assessments"]
    en = _case(api, world, world.lan_self, EN)["assessments"]

    declared = next(a for a in vi if a["source"] == "declaration")
    assert declared["source_label"] == "Khai báo y tế"
    assert next(a for a in en if a["source"] == "declaration")["source_label"] == "Health declaration"
    assert all(a["source_label"] and a["source_label"] != a["source"] for a in vi + en)


def test_it_names_the_status_colour(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")

    vi = _case(api, world, world.lan_self, VI)["status"]
    en = _case(api, world, world.lan_self, EN)["status"]

    assert (vi["level"], vi["colour"], vi["colour_label"]) == ("high", "orange", "Cam")
    assert (en["colour"], en["colour_label"]) == ("orange", "Orange")


def test_the_openapi_documents_the_words(api: Any) -> None:
    spec = api.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    answer = spec["paths"]["/api/v1/cases/{person_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["$ref"].endswith("/CaseViewOut")

    assert {"updated_as", "updated_as_label"} <= set(schemas["CaseUpdateOut"]["properties"])
    assert {"source", "source_label"} <= set(schemas["CaseAssessmentOut"]["properties"])
    assert {"colour", "colour_label"} <= set(schemas["CaseStatusOut"]["properties"])


def test_the_triage_queue_names_the_colour_as_the_case_does(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")

    items = api.as_(world.ward_official).get("/triage", headers=EN).json()["items"]

    lan = next(i for i in items if i["person_id"] == world.lan_self.id)
    assert (lan["colour"], lan["colour_label"]) == ("orange", "Orange")
