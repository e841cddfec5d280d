"""Every code an API answer carries keeps its place and gets its label beside it (docs/api.md,
"Codes and their words"): the citizen's status read, reports, news, people and the checkpoint's
pass check — in Vietnamese, the default language."""

from __future__ import annotations

from typing import Any

from khaibao.cases.tests.helpers import declare
from khaibao.news.tests.helpers import publish
from khaibao.passes.services import pass_issue
from khaibao.passes.tests.helpers import give_status
from khaibao.reports.tests.helpers import report_body

# --- the status read -------------------------------------------------------------------------


def test_it_puts_words_beside_the_status_reads_codes(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    official = api.as_(world.ward_official)
    assert official.post(f"/cases/{world.lan_self.id}/actions", {"kind": "called_not_reached"}).status_code == 201

    body = api.as_(world.lan).get(f"/people/{world.lan_self.id}/status").json()

    assert (body["level"], body["level_word"]) == ("high", "Cao")
    assert (body["pass"]["colour"], body["pass"]["colour_label"]) == ("red", "Đỏ")
    assert (body["follow_up"]["status"], body["follow_up"]["status_label"]) == ("open", "Đang mở")
    # The officials' case API names the level's word the same way.
    triage = official.get("/triage").json()["items"]
    assert next(i for i in triage if i["person_id"] == world.lan_self.id)["level_word"] == body["level_word"]
    case = official.get(f"/cases/{world.lan_self.id}").json()
    follow_up = case["follow_up"][0]
    assert (follow_up["status_label"], follow_up["outcome_label"]) == ("Đang mở", "Đã gọi — không liên lạc được")
    household = {h["full_name"]: h for h in case["household"]}
    assert household[world.lan_child.full_name]["relation_label"] == "Con"


def test_it_says_not_declared_yet_before_any_declaration(world: Any, api: Any) -> None:
    body = api.as_(world.lan).get(f"/people/{world.lan_self.id}/status").json()

    assert (body["level"], body["level_word"]) == (None, "Chưa khai báo")
    assert (body["pass"]["colour"], body["pass"]["colour_label"]) == ("grey", "Xám")
    assert body["follow_up"] is None


def test_the_status_read_speaks_english_when_asked(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    body = api.as_(world.lan).get(f"/people/{world.lan_self.id}/status", headers={"Accept-Language": "en"}).json()
    assert (body["level_word"], body["pass"]["colour_label"]) == ("Medium", "Yellow")


# --- the checkpoint's pass check -------------------------------------------------------------


def test_it_names_the_colour_of_a_checked_pass(world: Any, api: Any) -> None:
    give_status(world.lan_self, level="low")
    token = pass_issue(person=world.lan_self).token
    body = api.as_(world.checkpoint).post("/passes/verify", {"token": token}).json()

    assert (body["colour"], body["colour_label"]) == ("green", "Xanh")
    assert (body["reason"], body["reason_message"]) == (None, None)


def test_it_says_why_a_pass_is_refused(world: Any, api: Any) -> None:
    body = api.as_(world.checkpoint).post("/passes/verify", {"token": "not-a-pass.at-all"}).json()

    assert body["valid"] is False
    assert (body["colour"], body["colour_label"]) == (None, None)
    assert body["reason"] == "malformed"
    assert body["reason_message"] == "Đây không phải mã thẻ thông hành y tế của Khai Báo."


# --- reports ---------------------------------------------------------------------------------


def test_it_puts_words_beside_a_reports_category_and_status(world: Any, api: Any) -> None:
    sent = api.as_(world.lan).post("/reports", report_body(category="gathering"))
    assert sent.status_code == 201, sent.content
    submitted = sent.json()
    assert (submitted["status"], submitted["status_label"]) == ("received", "Đã tiếp nhận")

    mine = api.as_(world.lan).get("/reports").json()[0]
    assert (mine["category"], mine["category_label"]) == ("gathering", "Tụ tập trái quy định")
    assert (mine["status"], mine["status_label"]) == ("received", "Đã tiếp nhận")
    assert api.as_(world.lan).get(f"/reports/{submitted['id']}").json()["category_label"] == "Tụ tập trái quy định"

    tracked = api.get(f"/reports/track/{submitted['tracking_code']}").json()
    assert (tracked["category_label"], tracked["status_label"]) == ("Tụ tập trái quy định", "Đã tiếp nhận")

    official = api.as_(world.ward_official)
    queued = next(i for i in official.get("/reports/queue").json()["items"] if i["id"] == submitted["id"])
    assert (queued["category_label"], queued["status_label"]) == ("Tụ tập trái quy định", "Đã tiếp nhận")
    changed = official.post(f"/reports/{submitted['id']}/status", {"status": "verifying"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["status_label"] == "Đang xác minh"
    change = changed.json()["status_changes"][0]
    assert (change["from_status_label"], change["to_status_label"]) == ("Đã tiếp nhận", "Đang xác minh")


# --- news ------------------------------------------------------------------------------------


def test_it_puts_words_beside_a_news_items_kind(world: Any, api: Any) -> None:
    created = publish(api, world.national, kind="hotline", title="Đường dây nóng Bộ Y tế", phone="19009095")
    assert (created["kind"], created["kind_label"]) == ("hotline", "Đường dây nóng")

    listed = api.get("/news").json()["items"][0]
    assert (listed["kind"], listed["kind_label"]) == ("hotline", "Đường dây nóng")
    assert api.get(f"/news/{created['id']}").json()["kind_label"] == "Đường dây nóng"


# --- people ----------------------------------------------------------------------------------


def test_it_puts_words_beside_sex_and_relation(world: Any, api: Any) -> None:
    people = {p["id"]: p for p in api.as_(world.lan).get("/people").json()}

    me, child = people[world.lan_self.id], people[world.lan_child.id]
    assert (me["sex"], me["sex_label"], me["relation"], me["relation_label"]) == ("female", "Nữ", "self", "Bản thân")
    assert (child["sex"], child["sex_label"], child["relation"], child["relation_label"]) == ("male", "Nam", "child", "Con")
    assert api.as_(world.lan).get(f"/people/{world.lan_parent.id}").json()["relation_label"] == "Bố/mẹ"


def test_an_assisted_person_has_no_relation_and_no_relation_label(world: Any, api: Any) -> None:
    people = {p["id"]: p for p in api.as_(world.volunteer).get("/people").json()}

    assisted = people[world.ong_tu.id]
    assert assisted["assisted"] is True
    assert (assisted["relation"], assisted["relation_label"]) == (None, None)
    assert (assisted["sex"], assisted["sex_label"]) == ("male", "Nam")
