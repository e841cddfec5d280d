"""A double tap or a re-post of a citizen form writes once (the submission key of
web/submissions.py), and a sent report answers with a redirect to its confirmation, which shows
the tracking code once (fault review, finding 6)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from khaibao.people.models import HouseholdMembership
from khaibao.reports.models import Report
from khaibao.reports.tests.helpers import solve_pow
from khaibao.venues.models import Venue

HOAN_KIEM = 70


def _signed_in(account: Any) -> Client:
    browser = Client()
    browser.force_login(account)
    return browser


def _key(page: Any) -> str:
    match = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', page.content.decode())
    assert match, page.content.decode()[:2000]
    return match.group(1)


def _report(world: Any, **extra: Any) -> dict[str, Any]:
    return {"category": "gathering", "province": world.hanoi.code, "ward_code": world.hoan_kiem.code,
            "address": "Số 5 phố Hàng Bài", "description": "Khoảng 40 người tụ tập hát karaoke trong quán.",
            "happened_date": "01/01/2026", "happened_time": "08:00", **extra}


def _code(page: Any) -> str:
    match = re.search(r'data-testid="tracking-code">([A-Z2-7]{10})<', page.content.decode())
    return match.group(1) if match else ""


def test_it_adds_a_child_once_on_a_double_tap(world: Any) -> None:
    lan = _signed_in(world.lan)
    key = _key(lan.get("/household/add/"))
    data = {"relation": "child", "full_name": "Trần Bé Na", "date_of_birth": "", "birth_year": "2019",
            "sex": "female", "nationality": "VN", "id_number": "", "phone": "",
            "province": world.hanoi.code, "ward_code": world.hoan_kiem.code, "street": "", "submission_key": key}
    first = lan.post("/household/add/", data)
    second = lan.post("/household/add/", data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert HouseholdMembership.objects.filter(owner=world.lan, person__full_name="Trần Bé Na").count() == 1


def test_it_sends_a_signed_in_report_once_and_redirects_to_the_code(world: Any, settings: Any, tmp_path: Any) -> None:
    settings.REPORT_MEDIA_ROOT = tmp_path / "media"
    lan = _signed_in(world.lan)
    data = _report(world, submission_key=_key(lan.get("/reports/new/")))
    first = lan.post("/reports/new/", data)
    second = lan.post("/reports/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == "/reports/done/"
    assert Report.objects.count() == 1
    done = lan.get("/reports/done/")
    assert done["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[A-Z2-7]{10}", _code(done))
    assert 'href="/reports/"' in done.content.decode()
    # Shown once: a reload says the report was sent, without the code.
    again = lan.get("/reports/done/")
    assert again.status_code == 200
    assert _code(again) == ""


def test_it_shows_an_anonymous_reporter_the_code_once_and_sends_the_report_once(
    world: Any, settings: Any, tmp_path: Any
) -> None:
    settings.REPORT_MEDIA_ROOT = tmp_path / "media"
    settings.REPORT_POW_MAX_NUMBER = 2000
    browser = Client()
    browser.get("/reports/new/")
    data = _report(world, pow=solve_pow(browser))
    sent = browser.post("/reports/new/", data, follow=True)
    assert sent.redirect_chain == [("/reports/done/", 302)]
    code = _code(sent)
    assert code
    assert 'href="/reports/"' not in sent.content.decode()
    # The browser re-posts the form (back, then send again): its solution paid for one report.
    again = browser.post("/reports/new/", data)
    assert again.status_code == 400
    assert Report.objects.count() == 1
    assert _code(browser.get("/reports/done/")) == ""
    assert browser.post("/reports/track/", {"code": code}).status_code == 200


def test_it_registers_a_venue_once_on_a_double_tap(world: Any) -> None:
    nam = _signed_in(world.nam)
    data = {"name": "Quán bún chả Hương", "kind": "restaurant", "province": 1, "ward_code": HOAN_KIEM,
            "street": "5 Hàng Mành", "contact_phone": "0912000111", "lat": "", "lon": "",
            "submission_key": _key(nam.get("/venues/new/"))}
    first = nam.post("/venues/new/", data)
    second = nam.post("/venues/new/", data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Venue.objects.count() == 1
