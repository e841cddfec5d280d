"""Browser walk finding 7: a test result keeps its result ("Test result: Positive") wherever a
case's latest outcome is shown — the triage queue (page and API), both exports and the
citizen's page — through one owner, cases.labels."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import translation

from khaibao.cases.labels import action_label, case_outcome_label
from khaibao.cases.models import FollowUpCase
from khaibao.cases.tests.helpers import declare, sign_in_staff
from khaibao.declarations.tests.helpers import ago
from khaibao.exports.sources import table_for


def _tested(world: Any, api: Any, result: str) -> None:
    declare(api, world.lan, world.lan_self, "high")
    resp = api.as_(world.ward_official).post(
        f"/cases/{world.lan_self.id}/actions", {"kind": "test_result", "test_result": result, "test_date": ago(1)}
    )
    assert resp.status_code == 201, resp.content


def test_one_label_for_an_action_and_its_result() -> None:
    with translation.override("en"):
        assert action_label("test_result", "positive") == "Test result: Positive"
        assert action_label("test_result", "") == "Test result"
        assert action_label("cleared", "positive") == "Cleared"  # only a test has a result
        assert action_label("") == ""
    with translation.override("vi"):
        assert action_label("test_result", "negative") == "Kết quả xét nghiệm: Âm tính"


def test_the_queue_page_shows_the_result(world: Any, api: Any) -> None:
    _tested(world, api, "positive")
    client = Client()
    sign_in_staff(client, world.ward_official)
    html = client.get("/staff/cases/").content.decode()
    row = html.split(f'data-person="{world.lan_self.id}"')[1].split("</tr>")[0]
    assert "Kết quả xét nghiệm: Dương tính" in row


def test_the_triage_api_and_the_citizen_say_the_same(world: Any, api: Any) -> None:
    _tested(world, api, "negative")
    items = api.as_(world.ward_official).get("/triage", headers={"Accept-Language": "en"}).json()["items"]
    lan = next(i for i in items if i["person_id"] == world.lan_self.id)
    assert lan["follow_up"]["outcome_label"] == "Test result: Negative"
    case = api.as_(world.ward_official).get(f"/cases/{world.lan_self.id}", headers={"Accept-Language": "en"}).json()
    assert case["follow_up"][0]["outcome_label"] == "Test result: Negative"


def test_a_later_action_is_the_outcome_and_has_no_result(world: Any, api: Any) -> None:
    _tested(world, api, "positive")
    api.as_(world.ward_official).post(f"/cases/{world.lan_self.id}/actions", {"kind": "hospitalised"})
    with translation.override("en"):
        assert case_outcome_label(FollowUpCase.objects.get()) == "Hospitalised"


def _export(kind: str, world: Any) -> dict[str, Any]:
    with translation.override("vi"):
        table = table_for(kind, world.ward_official, {})
        rows = [dict(zip(table.header, row, strict=True)) for row in table.rows]
    return next(r for r in rows if r["Họ và tên"] == world.lan_self.full_name)


def test_both_exports_show_the_result(world: Any, api: Any) -> None:
    _tested(world, api, "positive")
    assert _export("triage", world)["Kết quả gần nhất"] == "Kết quả xét nghiệm: Dương tính"
    assert _export("followups", world)["Kết quả gần nhất"] == "Kết quả xét nghiệm: Dương tính"
