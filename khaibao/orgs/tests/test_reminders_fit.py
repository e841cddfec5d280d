"""Issue 21: each member is asked what they still have to do (confirm / declare / update), with
the short link and the SMS keyword. Issue 17: "remind now" per unit, once a day, audited; the
dashboard shows the schedule, the last reminder's count and who was reminded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from khaibao.audit.models import AuditEvent
from khaibao.notifications.models import Notification
from khaibao.orgs import tasks
from khaibao.orgs.models import Campaign, Member, ReminderPolicy, UnitReminderRun, campaigns_in_force_q
from khaibao.orgs.tests.test_compliance import at, member, today
from khaibao.stats.tests.helpers import official_client


def _body(account: Any) -> str:
    return Notification.objects.get(kind="campaign_reminder", account=account).body


def test_each_member_is_asked_what_they_still_have_to_do(
    world: Any, tree: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DAILY_REMINDER_HOUR = 0
    settings.PUBLIC_BASE_URL = "https://khaibao.example.vn"
    d = today()
    # Declared and updated, but never confirmed: was told to "send your health declaration".
    unconfirmed = member(world, tree.c1, declared_at=at(d), updated_at=at(d), account=True, confirmed=False)
    undeclared = member(world, tree.c1, declared_at=None, updated_at=at(d), account=True)
    not_updated = member(world, tree.c1, declared_at=at(d), updated_at=None, account=True)
    never_signed_in = Member.objects.get(unit=tree.hn, person__isnull=True)

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.campaign_reminders.call() > 0

    # In the app, the words of what to do, not the SMS's link and keywords (browser review): the
    # notification's link opens the page.
    confirm = _body(unconfirmed.account)
    assert "có tên bạn trong danh sách thành viên. Hãy xác nhận" in confirm
    declare = _body(undeclared.account)
    assert "đề nghị bạn gửi tờ khai y tế" in declare
    update = _body(not_updated.account)
    assert "đề nghị bạn gửi cập nhật sức khỏe hôm nay" in update
    for body in (confirm, declare, update):
        assert "khaibao.example.vn" not in body
        assert not {"XN", "TUCHOI", "OK", "TROGIUP"} & set(body.replace(".", " ").split())
    assert len({confirm, declare, update}) == 3
    assert Notification.objects.get(kind="campaign_reminder", account=unconfirmed.account).link == "/memberships/"
    (text,) = [m["body"] for m in sms.messages() if m["to"] == never_signed_in.phone]
    assert "khaibao.example.vn/tv" in text
    assert "XN" in text
    # The short link leads to the memberships page.
    resp = official_client(tree.admin).get("/tv")
    assert (resp.status_code, resp["Location"]) == (302, "/memberships/")


def test_remind_now_once_per_unit_per_day_audited_and_shown(
    world: Any, tree: Any, settings: Any, sms: Any, api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DAILY_REMINDER_HOUR = 19
    d = today()
    lagging = member(world, tree.c1, declared_at=at(d), updated_at=None, account=True)
    client = official_client(tree.admin)
    tasks.compliance_refresh.call()
    page = client.get(f"/staff/compliance/{tree.p1.pk}/").content.decode()
    assert 'data-testid="reminder-schedule"' in page
    assert "19:00" in page
    assert f'action="/staff/compliance/{tree.p1.pk}/remind/"' in page

    # (Each test request runs its on-commit callbacks: khaibao/conftest.py.)
    resp = client.post(f"/staff/compliance/{tree.p1.pk}/remind/", {"campaign": tree.campaign.pk})
    assert resp.status_code == 302
    run = UnitReminderRun.objects.get(unit=tree.p1, day=d)
    assert DBTaskResult.objects.filter(task_path="khaibao.orgs.tasks.unit_remind_now_task").count() == 1
    sent = tasks.unit_remind_now_task.call(run.pk)
    # P1's subtree: C1's lagging and unconfirmed members (account or SMS); not HN's, not HCM's.
    assert sent == 3
    assert Notification.objects.filter(kind="campaign_reminder", account=lagging.account).count() == 1
    assert AuditEvent.objects.filter(action="orgs.remind_now", actor=tree.admin).count() == 1

    # Once per unit per day, through the page and the API alike.
    again = client.post(f"/staff/compliance/{tree.p1.pk}/remind/", {"campaign": tree.campaign.pk}, follow=True)
    assert "already reminded today" in again.content.decode() or "đã được nhắc hôm nay" in again.content.decode()
    api_again = api.as_(tree.admin).post(f"/orgs/{tree.p1.pk}/remind", {})
    assert (api_again.status_code, api_again.json()["error"]["code"]) == (409, "already_reminded")
    assert UnitReminderRun.objects.count() == 1
    assert AuditEvent.objects.filter(action="orgs.remind_now").count() == 1

    # The evening job does not remind them a second time.
    settings.DAILY_REMINDER_HOUR = 0
    with django_capture_on_commit_callbacks(execute=True):
        tasks.campaign_reminders.call()
    assert Notification.objects.filter(kind="campaign_reminder", account=lagging.account).count() == 1

    # The dashboard: today's run, the count after the refresh, and who was reminded.
    tasks.compliance_refresh.call()
    page = client.get(f"/staff/compliance/{tree.p1.pk}/").content.decode()
    assert 'data-testid="reminder-today-run"' in page
    assert f'action="/staff/compliance/{tree.p1.pk}/remind/"' not in page
    body = api.as_(tree.admin).get(f"/orgs/{tree.p1.pk}/compliance").json()["unit"]
    assert body["reminded"] == 3
    listing = api.as_(tree.admin).get(f"/orgs/{tree.p1.pk}/members?status=reminded_today").json()["items"]
    assert len(listing) == 3
    assert {m["last_reminded_on"] for m in listing} == {d.isoformat()}
    html = client.get(f"/staff/compliance/{tree.p1.pk}/members/?status=reminded_today").content.decode()
    assert html.count(f'data-reminded="{d.isoformat()}"') == 3


def test_remind_now_is_refused_when_the_campaign_sends_no_reminders(world: Any, tree: Any, api: Any) -> None:
    tree.campaign.reminder_policy = ReminderPolicy.NONE
    tree.campaign.save()
    resp = api.as_(tree.admin).post(f"/orgs/{tree.c1.pk}/remind", {})
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "no_reminders")
    # Outside one's subtree: the same 404 as a missing unit.
    assert api.as_(tree.hn_admin).post(f"/orgs/{tree.hcm.pk}/remind", {}).status_code == 404
    assert not UnitReminderRun.objects.exists()


def test_a_reminder_sms_keeps_its_link_and_keyword_within_the_sms_length(
    world: Any, tree: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DAILY_REMINDER_HOUR = 0
    tree.hn.name = "Đoàn Thanh niên Cộng sản Hồ Chí Minh thành phố Hà Nội, khối các cơ quan"
    tree.hn.save()
    line = Member.objects.get(unit=tree.hn, person__isnull=True)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.campaign_reminders.call()
    (text,) = [m["body"] for m in sms.messages() if m["to"] == line.phone]
    assert len(text) <= settings.SMS_MAX_CHARS  # 320: the title gave way to the link and keywords
    assert "/tv" in text
    assert "TUCHOI" in text


# "Remind now" only where the service would accept it: for a campaign in force today.


@pytest.mark.parametrize(
    ("starts", "ends", "shown"),
    [
        pytest.param(-3, 10, True, id="in force"),
        pytest.param(0, 0, True, id="its only day"),
        pytest.param(-20, -1, False, id="finished yesterday"),
        pytest.param(1, 10, False, id="starts tomorrow"),
    ],
)
def test_remind_now_is_offered_only_for_a_campaign_in_force(
    world: Any, tree: Any, api: Any, starts: int, ends: int, shown: bool
) -> None:
    d = today()
    Campaign.objects.filter(pk=tree.campaign.pk).update(starts_on=d + timedelta(days=starts), deadline=d + timedelta(days=ends))
    page = official_client(tree.admin).get(f"/staff/compliance/{tree.p1.pk}/?campaign={tree.campaign.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="reminders-h"' in html or 'id="reminders-h"' in html  # the campaign's dashboard, shown
    assert (f'action="/staff/compliance/{tree.p1.pk}/remind/"' in html) is shown
    # In force: when reminders go; not: why none go (not a schedule that will not run).
    assert ('data-testid="reminder-schedule"' in html) is shown
    assert ('data-testid="reminder-not-in-force"' in html) is not shown
    # The button is there exactly when the service accepts.
    resp = api.as_(tree.admin).post(f"/orgs/{tree.p1.pk}/remind", {"campaign": tree.campaign.pk})
    if shown:
        assert resp.status_code == 202, resp.content
    else:
        assert (resp.status_code, resp.json()["error"]["code"]) == (409, "not_in_force")


def test_a_campaign_is_in_force_by_one_rule_in_python_and_in_sql(world: Any, tree: Any) -> None:
    d = today()
    for name, starts, ends, archived in [
        ("past", -20, -2, False), ("ends today", -5, 0, False), ("starts today", 0, 4, False),
        ("future", 2, 9, False), ("archived", -3, 3, True),
    ]:
        Campaign.objects.create(
            unit=tree.twd, name=name, starts_on=d + timedelta(days=starts), deadline=d + timedelta(days=ends),
            archived_at=timezone.now() if archived else None,
        )
    campaigns = list(Campaign.objects.all())
    for offset in range(-21, 12):
        day = d + timedelta(days=offset)
        in_sql = set(Campaign.objects.filter(campaigns_in_force_q(day)).values_list("pk", flat=True))
        assert in_sql == {c.pk for c in campaigns if c.in_force(day)}, day


def test_a_reminder_sms_shortens_a_very_long_unit_name_not_its_link_and_keywords(
    world: Any, tree: Any, settings: Any, sms: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DAILY_REMINDER_HOUR = 0
    tree.hn.name = ("Đoàn Thanh niên Cộng sản Hồ Chí Minh thành phố Hà Nội, khối các cơ quan " * 3)[:200]
    tree.hn.save()
    line = Member.objects.get(unit=tree.hn, person__isnull=True)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.campaign_reminders.call()
    (text,) = [m["body"] for m in sms.messages() if m["to"] == line.phone]
    assert len(text) <= settings.SMS_MAX_CHARS
    # The title went, then the end of the name (at a word, "…" sent as "..."); the rest is whole.
    assert text.startswith("Doan Thanh nien Cong san Ho Chi Minh")
    assert "... co ten ban trong danh sach thanh vien tren Khai Bao." in text
    assert "/tv" in text
    assert text.endswith("Nhan XN de xac nhan, TUCHOI neu khong phai ban.")


def test_remind_now_answers_how_many_the_sms_budget_left_out(world: Any, tree: Any, api: Any) -> None:
    resp = api.as_(tree.admin).post(f"/orgs/{tree.c1.pk}/remind", {})
    assert resp.status_code == 202, resp.content
    body = resp.json()
    assert (body["sent"], body["refused"], body["finished_at"]) == (0, 0, None)
