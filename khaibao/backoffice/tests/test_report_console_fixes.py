"""The officials' report pages: a refused form comes back as it was typed, a date-only
"happened" shows no made-up time, and the ward filters pick a ward by name (reports list and,
for a national official, the triage queue)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.cases.tests.helpers import declare
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.reports import handling
from khaibao.reports.models import Report, ReportNote, ReportReply, ReportStatus


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def report(world: Any, *, ward: Any = None, happened_at: Any = None, **extra: Any) -> Report:
    now = timezone.now()
    return Report.objects.create(
        category="gathering", ward=ward or world.hoan_kiem, address="Số 5 phố Hàng Bài",
        description="Khoảng 40 người tụ tập.", happened_at=happened_at or now - timedelta(hours=3),
        tracking_hash=f"t-{Report.objects.count()}-{now.timestamp()}", **extra,
    )


def select_html(page: str, name: str) -> str:
    match = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert match, f"no <select name={name}>"
    return match.group(0)


def selected(page: str, name: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', select_html(page, name))


def textarea(page: str, name: str) -> str:
    match = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no <textarea name={name}>"
    return html.unescape(match.group(1)).strip()


def happened(page: str) -> str:
    match = re.search(r"Thời điểm xảy ra</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    assert match, "no “Thời điểm xảy ra”"
    return match.group(1)


# --- 1. A refused form keeps what was chosen and typed -----------------------------------------


def test_it_keeps_duplicate_chosen_when_the_number_is_missing_and_the_corrected_submit_works(world: Any) -> None:
    original, repeat = report(world), report(world)
    official = staff(world.ward_official)

    refused = official.post(f"/staff/reports/{repeat.pk}/status/", {"status": "duplicate", "duplicate_of": ""})

    assert refused.status_code == 400
    page = refused.content.decode()
    assert selected(page, "status") == [ReportStatus.DUPLICATE]
    # The message sits beside the number box, where it is to be typed.
    assert re.search(
        r'id="id_duplicate_of_error">Nhập số của phản ánh mà phản ánh này trùng lặp\.<', page
    ), page[:4000]
    repeat.refresh_from_db()
    assert repeat.status == ReportStatus.RECEIVED

    # The browser sends the form as it came back, now with the number typed.
    done = official.post(
        f"/staff/reports/{repeat.pk}/status/", {"status": selected(page, "status")[0], "duplicate_of": original.pk}
    )

    assert done.status_code == 302
    assert done["Location"] == f"/staff/reports/{repeat.pk}/"
    repeat.refresh_from_db()
    assert repeat.status == ReportStatus.DUPLICATE
    assert repeat.duplicate_of == original


def test_it_keeps_the_status_chosen_when_the_change_is_not_possible(world: Any) -> None:
    handled = report(world, status=ReportStatus.HANDLED)
    official = staff(world.ward_official)

    refused = official.post(f"/staff/reports/{handled.pk}/status/", {"status": "rejected"})

    assert refused.status_code == 409
    assert selected(refused.content.decode(), "status") == [ReportStatus.REJECTED]


def test_it_keeps_the_typed_reply_when_it_is_refused(world: Any) -> None:
    item = report(world)
    official = staff(world.ward_official)
    text = "Trạm y tế đã đến kiểm tra. " + "x" * handling.MAX_TEXT

    refused = official.post(f"/staff/reports/{item.pk}/replies/", {"reply-text": text})

    assert refused.status_code == 400
    page = refused.content.decode()
    assert textarea(page, "reply-text") == text.strip()
    assert 'id="id_reply-text_error"' in page
    assert textarea(page, "note-text") == ""  # the other forms come fresh
    assert selected(page, "status") == [ReportStatus.RECEIVED]
    assert not ReportReply.objects.exists()


def test_it_keeps_the_typed_note_when_it_is_refused(world: Any) -> None:
    item = report(world)
    official = staff(world.ward_official)
    text = "Đã gọi cho tổ dân phố. " + "y" * handling.MAX_TEXT

    refused = official.post(f"/staff/reports/{item.pk}/notes/", {"note-text": text})

    assert refused.status_code == 400
    page = refused.content.decode()
    assert textarea(page, "note-text") == text.strip()
    assert textarea(page, "reply-text") == ""
    assert not ReportNote.objects.exists()


# --- 2. "Happened" without a made-up time ------------------------------------------------------


def test_it_shows_only_the_date_when_the_citizen_gave_no_time(world: Any) -> None:
    citizen = Client()
    citizen.force_login(world.lan)
    day = timezone.localdate() - timedelta(days=2)
    sent = citizen.post("/reports/new/", {
        "category": "gathering", "province": world.hanoi.code, "ward_code": world.hoan_kiem.code,
        "address": "Ngõ 3 Hàng Bạc", "description": "Tụ tập đông người.",
        "happened_date": day.isoformat(), "happened_time": "",
    })
    assert sent.status_code == 302, sent.content.decode()[:2000]
    item = Report.objects.get()

    page = staff(world.ward_official).get(f"/staff/reports/{item.pk}/").content.decode()

    assert happened(page).strip() == day.strftime("%d/%m/%Y")
    assert "00:00" not in happened(page)


def test_it_shows_the_time_when_the_citizen_gave_one(world: Any) -> None:
    at = timezone.make_aware(timezone.datetime(2026, 3, 7, 8, 30))
    item = report(world, happened_at=at)

    page = staff(world.ward_official).get(f"/staff/reports/{item.pk}/").content.decode()

    assert happened(page).strip() == "07/03/2026 08:30"


def test_it_says_how_long_ago_a_report_came_in_words(world: Any) -> None:
    fresh, older = report(world), report(world)
    Report.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=5, minutes=10))
    official = staff(world.ward_official)

    fresh_page = official.get(f"/staff/reports/{fresh.pk}/").content.decode()
    older_page = official.get(f"/staff/reports/{older.pk}/").content.decode()

    assert "0 giờ trước" not in fresh_page
    assert "vừa xong" in fresh_page
    # timesince's words, as the triage queue's waiting time (non-breaking spaces inside each part).
    assert "5 giờ, 10 phút trước" in older_page.replace("\xa0", " ")


# --- 3. Ward filters by name ---------------------------------------------------------------------


def test_it_offers_a_province_official_their_wards_by_name_and_filters_by_the_one_chosen(world: Any) -> None:
    in_hoan_kiem, in_ba_dinh = report(world), report(world, ward=world.ba_dinh)
    official = staff(world.province)

    page = official.get("/staff/reports/").content.decode()

    wards = select_html(page, "ward")
    assert f'<option value="{world.ba_dinh.code}">{world.ba_dinh.name}</option>' in wards
    assert f'<option value="{world.hoan_kiem.code}">{world.hoan_kiem.name}</option>' in wards
    assert world.sai_gon.name not in wards

    filtered = official.get("/staff/reports/", {"status": "open", "ward": world.ba_dinh.code})

    assert filtered.status_code == 200
    assert [row["report"].pk for row in filtered.context["rows"]] == [in_ba_dinh.pk]
    assert selected(filtered.content.decode(), "ward") == [str(world.ba_dinh.code)]
    assert in_hoan_kiem.pk not in [row["report"].pk for row in filtered.context["rows"]]


def test_it_still_refuses_a_ward_outside_the_province(world: Any) -> None:
    report(world)
    in_sai_gon = report(world, ward=world.sai_gon)
    official = staff(world.province)

    resp = official.get("/staff/reports/", {"ward": world.sai_gon.code})

    assert in_sai_gon.pk not in [row["report"].pk for row in resp.context["rows"]]
    assert 'id="id_ward_error"' in resp.content.decode()


def test_it_offers_a_ward_official_their_ward_only(world: Any) -> None:
    wards = select_html(staff(world.ward_official).get("/staff/reports/").content.decode(), "ward")
    assert re.findall(r'<option value="(\d+)"', wards) == [str(world.hoan_kiem.code)]


def test_it_offers_a_national_official_every_ward_grouped_by_province(world: Any) -> None:
    in_sai_gon = report(world, ward=world.sai_gon)
    report(world)
    official = staff(world.national)

    wards = select_html(official.get("/staff/reports/").content.decode(), "ward")

    assert f'<optgroup label="{html.escape(world.hcmc.name)}">' in wards
    assert f'<optgroup label="{html.escape(world.hanoi.name)}">' in wards
    resp = official.get("/staff/reports/", {"status": "open", "ward": world.sai_gon.code})
    assert [row["report"].pk for row in resp.context["rows"]] == [in_sai_gon.pk]


def test_it_offers_a_national_official_the_queue_wards_by_name(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, "high")
    declare(api, world.mai, world.mai_self, "medium")
    official = staff(world.national)

    page = official.get("/staff/cases/").content.decode()

    wards = select_html(page, "ward")
    assert f'<optgroup label="{html.escape(world.hanoi.name)}">' in wards
    assert f'<option value="{world.ba_dinh.code}">{world.ba_dinh.name}</option>' in wards
    # The same ward code as before: existing links keep working.
    filtered = official.get("/staff/cases/", {"ward": world.ba_dinh.code}).content.decode()
    assert "Lê Thị Mai" in filtered
    assert "Nguyễn Thị Lan" not in filtered
    assert selected(filtered, "ward") == [str(world.ba_dinh.code)]
