"""Words a tester found wrong in the Vietnamese console: a volunteer's last day shown as the next
midnight, "account 2" in English in the audit trail, the hidden "Actions" column header."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from khaibao.audit.services import audit_record
from khaibao.news.tests.helpers import publish, sign_in_staff

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def staff(account) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def _d(day) -> str:
    return date_format(day, "d/m/Y")


def test_the_volunteers_list_shows_the_last_day_entered_not_the_next_midnight(world):
    console = staff(world.org_admin)
    last_day = timezone.localdate() + timedelta(days=30)
    resp = console.post("/staff/volunteers/", {"phone": "0900000002", "expires_on": last_day.isoformat()})
    assert resp.status_code == 302
    html = console.get("/staff/volunteers/").content.decode()
    row = next(r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if "0900" in r or "Lê Thị Mai" in r)
    assert f"<td>{_d(last_day)}</td>" in row
    assert _d(last_day + timedelta(days=1)) not in row
    assert "00:00" not in row
    assert "Đến hết ngày" in html  # the column says the day counts whole


def _row(html: str, event_id: int) -> str:
    return next(r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if f"#{event_id}<" in r)


def test_the_audit_trail_names_an_account_in_the_readers_language(world):
    by_lan = audit_record(actor=world.lan, action="person.view", person_id=world.lan_self.pk)
    audit_record(actor="system", action="person.view", person_id=world.lan_self.pk)
    dpo = staff(world.dpo)
    vi = dpo.get("/staff/audit/", {"person": world.lan_self.pk}).content.decode()
    assert not re.search(r"\baccount \d+", vi)
    assert f"tài khoản {world.lan.pk}" in vi
    assert "hệ thống" in vi
    en = dpo.get("/staff/audit/", {"person": world.lan_self.pk}, **EN).content.decode()
    assert _row(en, by_lan.pk).count(f"account {world.lan.pk}") == 1  # not the stored label and the id line both
    assert "system" in en


def test_the_audit_trail_keeps_staff_usernames(world):
    audit_record(actor=world.national, action="person.view", person_id=world.lan_self.pk)
    vi = staff(world.dpo).get("/staff/audit/", {"person": world.lan_self.pk}).content.decode()
    assert "demo-national" in vi
    assert f"tài khoản {world.national.pk}" in vi


def test_the_hidden_actions_column_says_thao_tac(world, api):
    publish(api, world.national)
    html = staff(world.national).get("/staff/news/").content.decode()
    assert '<span class="visually-hidden">Thao tác</span>' in html
    assert "Hoạt động xử lý" not in html
