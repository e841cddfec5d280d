"""Every code an API answer carries gets its label beside it (docs/api.md, "Codes and their
words"), continued: the daily update's level, the case view's levels and test results, the
citizen's follow-up test result and a person's nationality — in Vietnamese, the default language."""

from __future__ import annotations

from typing import Any

from khaibao.cases.tests.helpers import declare, update
from khaibao.declarations.tests.helpers import ago

# --- the daily update ------------------------------------------------------------------------


def test_it_puts_the_level_word_beside_the_daily_updates_level(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")

    assessment = update(api, world.lan, world.lan_self, ago(0)).json()["assessment"]

    assert (assessment["level"], assessment["level_word"]) == ("medium", "Trung bình")


def test_a_declarations_assessment_names_its_level(world: Any, api: Any) -> None:
    assert declare(api, world.lan, world.lan_self, "high").json()["assessment"]["level_word"] == "Cao"
    listed = api.as_(world.lan).get(f"/people/{world.lan_self.id}/declarations").json()["items"][0]
    assert listed["assessment"]["level_word"] == "Cao"


def test_the_polled_daily_update_names_its_level(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    update(api, world.lan, world.lan_self, ago(0))

    polled = api.as_(world.lan).get(f"/people/{world.lan_self.id}/updates/{ago(0)}").json()["assessment"]

    assert (polled["status"], polled["level"], polled["level_word"]) == ("done", "high", "Cao")


def test_the_daily_updates_level_word_speaks_english_when_asked(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    resp = api.as_(world.lan).put(
        f"/people/{world.lan_self.id}/updates/{ago(0)}", {"symptoms": [], "feeling": "well"},
        headers={"Accept-Language": "en"},
    )
    assert resp.json()["assessment"]["level_word"] == "Medium"


# --- the case view and a follow-up action ----------------------------------------------------


def _tested_positive(api: Any, world: Any) -> dict[str, Any]:
    declare(api, world.lan, world.lan_self, "high")
    resp = api.as_(world.ward_official).post(
        f"/cases/{world.lan_self.id}/actions", {"kind": "test_result", "test_result": "positive", "test_date": ago(1)}
    )
    assert resp.status_code == 201, resp.content
    body: dict[str, Any] = resp.json()
    return body


def test_it_names_the_levels_and_the_test_result_in_the_case_view(world: Any, api: Any) -> None:
    _tested_positive(api, world)
    update(api, world.lan, world.lan_self, ago(0))  # assessed again: the confirmed case's level is kept

    case = api.as_(world.ward_official).get(f"/cases/{world.lan_self.id}").json()

    declared = case["declarations"][0]
    assert (declared["level"], declared["level_word"]) == ("high", "Cao")
    latest = case["assessments"][0]
    assert (latest["level"], latest["level_word"], latest["level_kept"]) == ("urgent", "Khẩn cấp", True)
    assert (latest["engine_level"], latest["engine_level_word"]) == ("high", "Cao")
    action = case["follow_up"][0]["actions"][0]
    assert (action["test_result"], action["test_result_label"]) == ("positive", "Dương tính")


def test_an_action_without_a_test_has_no_test_result_label(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    official = api.as_(world.ward_official)
    recorded = official.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_reached"}).json()

    assert (recorded["kind"], recorded["kind_label"]) == ("called_reached", "Đã gọi — liên lạc được")
    assert (recorded["test_result"], recorded["test_result_label"]) == (None, None)
    assert (recorded["case_status"], recorded["case_status_label"]) == ("open", "Đang mở")
    action = official.get(f"/cases/{world.lan_self.id}").json()["follow_up"][0]["actions"][0]
    assert (action["test_result"], action["test_result_label"]) == (None, None)


def test_it_names_a_recorded_test_result_and_the_case_status(world: Any, api: Any) -> None:
    recorded = _tested_positive(api, world)

    assert (recorded["kind"], recorded["kind_label"]) == ("test_result", "Kết quả xét nghiệm")
    assert (recorded["test_result"], recorded["test_result_label"]) == ("positive", "Dương tính")
    assert (recorded["case_status"], recorded["case_status_label"]) == ("open", "Đang mở")
    assert recorded["follow_up"]["test_result_label"] == "Dương tính"


def test_an_assigned_case_names_its_status(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    assigned = api.as_(world.ward_official).post(f"/cases/{world.lan_self.id}/assign", {}).json()
    assert (assigned["status"], assigned["status_label"]) == ("open", "Đang mở")


# --- the citizen's follow-up in the status read ----------------------------------------------


def test_the_status_read_names_the_follow_ups_test_result(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    official = api.as_(world.ward_official)
    resp = official.post(
        f"/cases/{world.lan_self.id}/actions", {"kind": "test_result", "test_result": "negative", "test_date": ago(1)}
    )
    assert resp.status_code == 201, resp.content

    follow_up = api.as_(world.lan).get(f"/people/{world.lan_self.id}/status").json()["follow_up"]

    assert (follow_up["test_result"], follow_up["test_result_label"]) == ("negative", "Âm tính")


def test_a_follow_up_without_a_test_has_no_test_result_label(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    assert api.as_(world.ward_official).post(
        f"/cases/{world.lan_self.id}/actions", {"kind": "called_not_reached"}
    ).status_code == 201

    follow_up = api.as_(world.lan).get(f"/people/{world.lan_self.id}/status").json()["follow_up"]

    assert (follow_up["test_result"], follow_up["test_result_label"]) == (None, None)


# --- people ----------------------------------------------------------------------------------


def test_it_puts_the_country_name_beside_a_nationality(world: Any, api: Any) -> None:
    client = api.as_(world.lan)
    me = next(p for p in client.get("/people").json() if p["id"] == world.lan_self.id)
    assert (me["nationality"], me["nationality_name"]) == ("VN", "Việt Nam")

    changed = client.patch(f"/people/{world.lan_self.id}", {"nationality": "FR"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["nationality"], changed.json()["nationality_name"]) == ("FR", "Pháp")
    assert client.get(f"/people/{world.lan_self.id}").json()["nationality_name"] == "Pháp"
    english = client.get(f"/people/{world.lan_self.id}", headers={"Accept-Language": "en"}).json()
    assert english["nationality_name"] == "France"
