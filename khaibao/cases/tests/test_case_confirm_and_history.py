"""Browser walk findings 5, 14 and 15: "cleared" and a positive test ask first; an official's
change of level is an assessment change like the engine's (decision C); clearing on the day
monitoring began never reads "from today until yesterday", and is worded for the official."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.cases.models import FollowUpAction, FollowUpCase
from khaibao.cases.tests.helpers import declare, sign_in_staff
from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import Assessment, PersonStatus, Source

EN = {"Accept-Language": "en"}


def _url(person: Any, suffix: str = "") -> str:
    return f"/staff/cases/{person.id}/{suffix}"


def _section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"')[1].split("</section>")[0]


def _official(world: Any) -> Client:
    client = Client()
    sign_in_staff(client, world.ward_official)
    return client


def test_cleared_asks_first_and_changes_nothing_until_confirmed(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    client = _official(world)
    form = {"kind": "cleared", "notes": "Hết 14 ngày\nkhông triệu chứng"}

    page = client.post(_url(world.lan_self, "actions/"), form, headers=EN)

    assert page.status_code == 200
    html = page.content.decode()
    assert "End the follow-up of Nguyễn Thị Lan?" in html
    assert "This cannot be undone" in html
    assert 'name="confirmed" value="1"' in html
    assert 'name="kind" value="cleared"' in html  # the form's fields are carried along
    assert f'href="{_url(world.lan_self)}#follow-up"' in html
    assert not FollowUpAction.objects.exists()
    assert not FollowUpCase.objects.exists()
    assert PersonStatus.objects.get(person=world.lan_self).level == "high"

    done = client.post(_url(world.lan_self, "actions/"), {**form, "confirmed": "1"})

    assert done.status_code == 302
    action = FollowUpAction.objects.get()
    assert (action.kind, action.notes) == ("cleared", "Hết 14 ngày\nkhông triệu chứng")
    assert PersonStatus.objects.get(person=world.lan_self).level == "low"
    assert FollowUpCase.objects.get().status == "closed"


def test_a_positive_test_asks_first_and_checks_its_date_before(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    client = _official(world)
    form = {"kind": "test_result", "test_result": "positive", "test_date": ago(1)}

    bad = client.post(_url(world.lan_self, "actions/"), {**form, "test_date": ago(-1)})
    assert bad.status_code == 400  # refused on the form, not after the confirmation
    assert "field-error" in bad.content.decode()

    page = client.post(_url(world.lan_self, "actions/"), form, headers=EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Record a positive test for Nguyễn Thị Lan" in html
    assert "confirmed case (F0)" in html
    assert not FollowUpAction.objects.exists()
    assert PersonStatus.objects.get(person=world.lan_self).level == "medium"

    assert client.post(_url(world.lan_self, "actions/"), {**form, "confirmed": "1"}).status_code == 302
    status = PersonStatus.objects.get(person=world.lan_self)
    assert (status.level, status.contact_level) == ("urgent", "F0")


def test_a_negative_test_and_other_actions_do_not_ask(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    client = _official(world)
    form = {"kind": "test_result", "test_result": "negative", "test_date": ago(1)}
    assert client.post(_url(world.lan_self, "actions/"), form).status_code == 302
    assert client.post(_url(world.lan_self, "actions/"), {"kind": "called_reached"}).status_code == 302
    assert FollowUpAction.objects.count() == 2


def _act(api: Any, world: Any, body: dict[str, Any]) -> None:
    resp = api.as_(world.ward_official).post(f"/cases/{world.lan_self.id}/actions", body)
    assert resp.status_code == 201, resp.content


def test_an_officials_change_of_level_is_an_assessment_change(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    engine_rows = Assessment.objects.filter(person=world.lan_self).count()

    _act(api, world, {"kind": "called_reached"})  # no change of assessment: no row
    assert Assessment.objects.filter(person=world.lan_self).count() == engine_rows

    _act(api, world, {"kind": "test_result", "test_result": "positive", "test_date": ago(1)})
    positive = Assessment.objects.filter(person=world.lan_self).latest("created_at", "pk")
    status = PersonStatus.objects.get(person=world.lan_self)
    assert positive.source == Source.OFFICIAL
    assert (positive.level, positive.engine_level, positive.level_kept) == ("urgent", "urgent", False)
    assert positive.reasons == status.reasons
    assert "followup.confirmed_case" in positive.reasons
    assert positive.recommendations == status.recommendations
    assert positive.monitoring_until == status.monitoring_until
    assert positive.priority == status.priority
    assert status.confirmed_at is None

    _act(api, world, {"kind": "cleared"})
    cleared = Assessment.objects.filter(person=world.lan_self).latest("created_at", "pk")
    status = PersonStatus.objects.get(person=world.lan_self)
    assert (cleared.source, cleared.level, cleared.reasons) == (Source.OFFICIAL, "low", ["followup.cleared"])
    assert cleared.monitoring_until == status.monitoring_until
    rows = Assessment.objects.filter(person=world.lan_self).count()
    assert rows == engine_rows + 2

    _act(api, world, {"kind": "cleared"})  # cleared again: nothing changed, no row
    assert Assessment.objects.filter(person=world.lan_self).count() == rows


def test_the_case_view_lists_the_officials_changes_with_their_source(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "medium")
    _act(api, world, {"kind": "test_result", "test_result": "positive", "test_date": ago(1)})
    _act(api, world, {"kind": "cleared"})
    client = _official(world)

    assessments = _section(client.get(_url(world.lan_self)).content.decode(), "assessments")

    assert assessments.count("Thao tác của cán bộ y tế") == 2
    assert "Khẩn cấp" in assessments
    assert "Thấp" in assessments
    english = _section(client.get(_url(world.lan_self), headers=EN).content.decode(), "assessments")
    assert "Health official&#x27;s action" in english
    api_history = api.as_(world.ward_official).get(f"/cases/{world.lan_self.id}").json()["assessments"]
    assert [a["source"] for a in api_history[:2]] == ["official", "official"]


def test_cleared_on_the_first_day_says_monitoring_ended_to_the_official(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    status = PersonStatus.objects.get(person=world.lan_self)
    first_day = status.monitoring_from
    assert first_day is not None
    _act(api, world, {"kind": "cleared"})
    status.refresh_from_db()
    assert status.monitoring_until is not None
    assert status.monitoring_until < first_day  # the day before

    html = _section(_official(world).get(_url(world.lan_self)).content.decode(), "status")

    assert f"Đã kết thúc theo dõi ngày {first_day:%d/%m/%Y}, ngay ngày bắt đầu theo dõi." in html
    assert f"đến {status.monitoring_until:%d/%m/%Y}" not in html
    assert "của bạn" not in html
    assert "Cán bộ y tế đã kết thúc theo dõi: người này không cần theo dõi nữa." in html
