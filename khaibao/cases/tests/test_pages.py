"""The console pages: queue, case view, actions, assignment, reveal."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.cases.models import FollowUpAction, FollowUpCase
from khaibao.cases.tests.helpers import declare, sign_in_staff
from khaibao.cases.triage import triage_queue

QUEUE = "/staff/cases/"


def case_url(person: Any, suffix: str = "") -> str:
    return f"/staff/cases/{person.id}/{suffix}"


@pytest.fixture
def people(world: Any, api: Any) -> Any:
    declare(api, world.lan, world.lan_self, "high")
    declare(api, world.mai, world.mai_self, "medium")
    declare(api, world.hung, world.hung_self, "urgent")
    return world


def test_it_shows_the_queue_with_level_words_and_colours(people: Any, client: Client) -> None:
    sign_in_staff(client, people.province)
    resp = client.get(QUEUE)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Nguyễn Thị Lan" in html
    assert "Lê Thị Mai" in html
    assert "Phạm Văn Hùng" not in html  # TP.HCM
    assert 'class="level-orange"' in html
    assert 'class="level-yellow"' in html
    assert html.index("Nguyễn Thị Lan") < html.index("Lê Thị Mai")
    # The queue's figure is the run of days in a row (monitoring.queue.missed_run), not the
    # period's total a citizen's status page shows: its name says which.
    assert "Số ngày liên tiếp không cập nhật" in html


def test_it_keeps_each_province_to_itself_in_the_console(people: Any, client: Client) -> None:
    sign_in_staff(client, people.province_hcm)
    html = client.get(QUEUE).content.decode()
    assert "Phạm Văn Hùng" in html
    assert "Nguyễn Thị Lan" not in html
    assert client.get(case_url(people.lan_self)).status_code == 404
    assert client.post(case_url(people.lan_self, "actions/"), {"kind": "called_reached"}).status_code == 404
    assert client.post(case_url(people.lan_self, "assign/"), {"to_me": "1"}).status_code == 404
    assert client.post(case_url(people.lan_self, "reveal/"), {"reveal-reason": "Cần gọi điện"}).status_code == 404
    assert not FollowUpCase.objects.exists()


def test_it_filters_and_pages_the_queue(people: Any, client: Client, api: Any) -> None:
    sign_in_staff(client, people.province)
    html = client.get(QUEUE, {"level": "medium"}).content.decode()
    assert "Lê Thị Mai" in html
    assert "Nguyễn Thị Lan" not in html
    html = client.get(QUEUE, {"ward": str(people.ba_dinh.code)}).content.decode()
    assert "Lê Thị Mai" in html
    assert "Nguyễn Thị Lan" not in html
    resp = client.get(QUEUE, {"level": "nope"})
    assert resp.status_code == 400
    assert "field-error" in resp.content.decode()
    html = client.get(QUEUE, {"reason": "missed_updates"}).content.decode()
    assert "Nobody is waiting" in html or "Không có ai" in html
    # keyset "next page"
    page = triage_queue(people.province, limit=1)
    resp = client.get(QUEUE, {"cursor": page.next_cursor})
    assert resp.status_code == 200
    assert "Lê Thị Mai" in resp.content.decode()


@pytest.mark.parametrize("who", ["lan", "checkpoint", "org_admin"])
def test_it_refuses_the_console_to_other_roles(people: Any, client: Client, who: str) -> None:
    sign_in_staff(client, getattr(people, who))
    assert client.get(QUEUE).status_code == 403
    assert client.get(case_url(people.lan_self)).status_code == 403


def test_it_sends_an_official_without_the_second_factor_to_totp(people: Any, client: Client) -> None:
    client.force_login(people.province)
    resp = client.get(QUEUE)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/staff/2fa/")


def test_it_opens_a_case_and_audits_it(people: Any, client: Client) -> None:
    sign_in_staff(client, people.ward_official)
    resp = client.get(case_url(people.lan_self))
    assert resp.status_code == 200
    html = resp.content.decode()
    for section in ('id="identity"', 'id="status"', 'id="follow-up"', 'id="declarations"', 'id="updates"',
                    'id="assessments"', 'id="household"'):
        assert section in html
    assert "001188000001" not in html
    assert "•••••••••001" in html
    assert "Trần Minh An" in html  # household
    assert AuditEvent.objects.filter(action="person.case_view", person_id=people.lan_self.id,
                                     actor=people.ward_official).count() == 1
    # the ward official does not see Mai (Ba Đình)
    assert client.get(case_url(people.mai_self)).status_code == 404


def test_it_records_an_action_from_the_form(people: Any, client: Client) -> None:
    sign_in_staff(client, people.ward_official)
    resp = client.post(case_url(people.lan_self, "actions/"), {"kind": "advised_home_isolation", "notes": "Đã dặn"})
    assert resp.status_code == 302
    assert resp["Location"] == case_url(people.lan_self)
    action = FollowUpAction.objects.get()
    assert (action.kind, action.notes, action.actor) == ("advised_home_isolation", "Đã dặn", people.ward_official)
    assert "Đã dặn" in client.get(case_url(people.lan_self)).content.decode()
    resp = client.post(case_url(people.lan_self, "actions/"), {"kind": "test_result", "test_result": "positive"})
    assert resp.status_code == 400
    assert "field-error" in resp.content.decode()
    assert FollowUpAction.objects.count() == 1


def test_it_assigns_from_the_case_view(people: Any, client: Client) -> None:
    sign_in_staff(client, people.province)
    assert client.post(case_url(people.lan_self, "assign/"), {"to_me": "1"}).status_code == 302
    assert FollowUpCase.objects.get().assigned_to == people.province
    client.post(case_url(people.lan_self, "assign/"), {"assignee": str(people.ward_official.pk)})
    assert FollowUpCase.objects.get().assigned_to == people.ward_official
    client.post(case_url(people.lan_self, "assign/"), {"assignee": str(people.province_hcm.pk)})
    assert FollowUpCase.objects.get().assigned_to == people.ward_official


def test_it_reveals_the_identity_with_a_reason(people: Any, client: Client) -> None:
    sign_in_staff(client, people.province)
    resp = client.post(case_url(people.lan_self, "reveal/"), {"reveal-reason": ""})
    assert resp.status_code == 400
    assert "001188000001" not in resp.content.decode()
    assert not AuditEvent.objects.filter(action="person.reveal").exists()
    resp = client.post(case_url(people.lan_self, "reveal/"), {"reveal-reason": "Gọi điện theo dõi"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "001188000001" in html
    assert "+84900000001" in html
    assert AuditEvent.objects.get(action="person.reveal").reason == "Gọi điện theo dõi"


def test_it_links_the_queue_from_the_console_home(people: Any, client: Client) -> None:
    sign_in_staff(client, people.province)
    assert f'href="{QUEUE}"' in client.get("/staff/").content.decode()


def test_it_renders_the_queue_in_a_bounded_number_of_queries(
    people: Any, client: Client, django_assert_max_num_queries: Any
) -> None:
    sign_in_staff(client, people.national)
    client.get(QUEUE)
    with django_assert_max_num_queries(16):
        resp = client.get(QUEUE)
    assert resp.status_code == 200


def test_it_says_how_long_people_wait_in_vietnamese(people: Any, client: Client) -> None:
    """Issue 17: Django's Vietnamese catalogue lacks the waiting-time strings ("4 minutes")."""
    from datetime import timedelta

    from django.utils import timezone

    from khaibao.monitoring.models import PersonStatus

    PersonStatus.objects.filter(person=people.lan_self).update(queue_since=timezone.now() - timedelta(hours=2, minutes=5))
    sign_in_staff(client, people.province)
    html = client.get(QUEUE).content.decode().replace("\xa0", " ")  # numbers never wrap from their unit
    assert "2 giờ, 5 phút" in html
    assert "minute" not in html
    assert "hours" not in html
    english = client.get(QUEUE, headers={"Accept-Language": "en"}).content.decode().replace("\xa0", " ")
    assert "2 hours, 5 minutes" in english
