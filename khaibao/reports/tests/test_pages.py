"""Citizen report pages and the officials' console pages."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.reports.models import Report, ReportPhoto
from khaibao.reports.tests.helpers import jpeg_bytes, report_body, solve_pow, upload


def _form(**overrides: Any) -> dict[str, Any]:
    yesterday = timezone.localdate() - timedelta(days=1)
    data: dict[str, Any] = {
        "category": "suspected_case", "province": 1, "ward_code": 70, "address": "Ngõ 3 Hàng Bạc",
        "description": "Hàng xóm sốt cao, ho nhiều, không đi khám.", "happened_date": yesterday.isoformat(),
        "happened_time": "08:30",
    }
    data.update(overrides)
    return data


def _code(page: Any) -> str:
    match = re.search(r'data-testid="tracking-code">([A-Z2-7]{10})<', page.content.decode())
    assert match, page.content.decode()[:2000]
    return match.group(1)


def test_it_lets_a_citizen_report_with_a_photo_and_read_the_reply(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    page = client.post("/reports/new/", _form(photos=[upload("a.jpg", jpeg_bytes(gps=True), "image/jpeg")]), follow=True)
    assert page.redirect_chain == [("/reports/done/", 302)]
    _code(page)
    report = Report.objects.get()
    assert report.reporter == world.lan
    assert report.photos.count() == 1

    official = Client()
    sign_in_staff(official, world.ward_official)
    listing = official.get("/staff/reports/").content.decode()
    assert f'data-report="{report.pk}"' in listing
    detail = official.get(f"/staff/reports/{report.pk}/")
    assert "Ngõ 3 Hàng Bạc" in detail.content.decode()
    assert AuditEvent.objects.filter(action="report.view", actor=world.ward_official).exists()
    photo = ReportPhoto.objects.get()
    served = official.get(f"/staff/reports/{report.pk}/photos/{photo.pk}/")
    assert served.status_code == 200
    assert served["Cache-Control"] == "no-store"
    assert official.post(f"/staff/reports/{report.pk}/status/", {"status": "handled"}).status_code == 302
    official.post(f"/staff/reports/{report.pk}/replies/", {"reply-text": "Trạm y tế đã đến kiểm tra."})
    report.refresh_from_db()
    assert report.status == "handled"

    mine = client.get("/reports/").content.decode()
    assert "Trạm y tế đã đến kiểm tra." in mine
    # The reporter is told in the inbox, with a link to the report (issue 17).
    inbox = client.get("/notifications/").content.decode()
    assert "Phản ánh của bạn đã có trả lời" in inbox


def test_it_keeps_reports_of_another_province_from_an_official(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    client.post("/reports/new/", _form())
    report = Report.objects.get()
    official = Client()
    sign_in_staff(official, world.province_hcm)
    assert f'data-report="{report.pk}"' not in official.get("/staff/reports/").content.decode()
    assert official.get(f"/staff/reports/{report.pk}/").status_code == 404
    assert official.post(f"/staff/reports/{report.pk}/status/", {"status": "handled"}).status_code == 404


def test_it_marks_overdue_reports_in_the_list(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    client.post("/reports/new/", _form())
    Report.objects.update(created_at=timezone.now() - timedelta(hours=72))
    official = Client()
    sign_in_staff(official, world.ward_official)
    assert "report-row overdue" in official.get("/staff/reports/").content.decode()


def test_it_asks_an_anonymous_reporter_for_the_proof_of_work(world: Any, client: Client) -> None:
    form_page = client.get("/reports/new/").content.decode()
    assert 'id="report-pow-challenge"' in form_page
    assert "js/report-pow.js" in form_page
    refused = client.post("/reports/new/", _form())
    assert refused.status_code == 400
    assert not Report.objects.exists()
    done = client.post("/reports/new/", _form(pow=solve_pow(client)), REMOTE_ADDR="198.51.100.9", follow=True)
    code = _code(done)
    assert Report.objects.get().reporter is None

    tracked = client.post("/reports/track/", {"code": code})
    assert tracked.status_code == 200
    assert 'data-testid="report-status"' in tracked.content.decode()
    assert client.post("/reports/track/", {"code": "ZZZZZZZZZZ"}).status_code == 404


def test_it_shows_field_errors_and_keeps_what_was_typed(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    page = client.post("/reports/new/", _form(happened_date=tomorrow, photos=[upload("x.jpg", b"text", "image/jpeg")]))
    assert page.status_code == 400
    text = page.content.decode()
    assert "Ngõ 3 Hàng Bạc" in text
    assert "field-error" in text
    assert not Report.objects.exists()


def test_it_turns_a_report_into_a_case_from_the_console(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    client.post("/reports/new/", _form())
    report = Report.objects.get()
    official = Client()
    sign_in_staff(official, world.ward_official)
    resp = official.post(
        f"/staff/reports/{report.pk}/to-case/",
        {"full_name": "Lê Văn Ho", "phone": "0987654321", "birth_year": 1975, "sex": "male"},
    )
    assert resp.status_code == 302
    report.refresh_from_db()
    assert report.person is not None
    assert resp["Location"].endswith(f"/staff/cases/{report.person_id}/")


def test_it_does_not_lead_the_console_to_a_person_outside_the_area(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    client.post("/reports/new/", _form())
    report = Report.objects.get()
    official = Client()
    sign_in_staff(official, world.ward_official)
    resp = official.post(f"/staff/reports/{report.pk}/to-case/", {"full_name": "Phạm Văn Hùng", "id_number": "079079000004"})
    assert resp.status_code == 400
    assert f"/staff/cases/{world.hung_self.id}/" not in resp.content.decode()
    report.refresh_from_db()
    assert report.person is None
    assert AuditEvent.objects.filter(action="report.to_case_refused", actor=world.ward_official).exists()


def test_it_stores_the_map_point_typed_in_the_form(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    # A decimal comma, as a Vietnamese keyboard types it, is the same number.
    page = client.post("/reports/new/", _form(lat="21,0285", lon=" 105.8542 "))
    assert page.status_code == 302, page.content.decode()[:2000]
    report = Report.objects.get()
    assert (report.lat, report.lon) == (21.0285, 105.8542)


def test_it_sends_a_report_without_a_map_point(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    form_page = client.get("/reports/new/").content.decode()
    # The location button and the map stay hidden until the script shows them: no JS, no dead button.
    assert re.search(r'<div id="point-tools" hidden>', form_page)
    assert 'id="point-locate"' in form_page
    assert "js/report-point.js" in form_page
    assert "leaflet/leaflet.js" in form_page
    assert client.post("/reports/new/", _form(lat="", lon="")).status_code == 302
    report = Report.objects.get()
    assert report.lat is None
    assert report.lon is None


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [
        ("95", "105.85", "lat"),  # not a latitude at all
        ("13.7563", "100.5018", "lat"),  # Bangkok
        ("105.85", "21.03", "lat"),  # swapped
        ("21.03", "", "lat"),  # half a point
        ("north", "105.85", "lat"),
        ("21.03", "1e999", "lon"),
    ],
)
def test_it_refuses_a_point_outside_viet_nam_beside_the_field(
    world: Any, client: Client, api: Any, lat: str, lon: str, field: str
) -> None:
    client.force_login(world.lan)
    page = client.post("/reports/new/", _form(lat=lat, lon=lon))
    assert page.status_code == 400
    text = page.content.decode()
    assert re.search(rf'name="{field}"[^>]*>\s*<p class="field-error" id="id_{field}_error"', text), text
    assert f'name="lat" value="{lat}"' in text or (not lat and 'name="lat"' in text)
    assert f'name="lon" value="{lon}"' in text or not lon
    assert "Ngõ 3 Hàng Bạc" in text
    assert not Report.objects.exists()


def test_it_gives_the_same_point_message_as_the_api(world: Any, client: Client, api: Any) -> None:
    client.force_login(world.lan)
    # With another field wrong too, the point's message is there already, not after a second try.
    page = client.post("/reports/new/", _form(lat="13.7563", lon="100.5018", description=""))
    text = page.content.decode()
    message = re.search(r'<p class="field-error" id="id_lat_error" role="alert">([^<]+)</p>', text)
    assert message
    assert 'id="id_description_error"' in text
    resp = api.as_(world.lan).post("/api/v1/reports", report_body(lat=13.7563, lon=100.5018))
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"]["lat"] == html.unescape(message.group(1))


def test_it_lets_a_citizen_report_after_refused_photos(world: Any, client: Client, settings: Any) -> None:
    # Issue 17, major 4: four refused photos and one accepted report must not lock the form for an hour.
    settings.REPORT_RATE_PER_ACCOUNT = 5
    client.force_login(world.lan)
    for _attempt in range(4):
        page = client.post("/reports/new/", _form(photos=[upload("a.jpg", b"not a photo", "image/jpeg")]))
        assert page.status_code == 400
        assert "không phải ảnh" in page.content.decode() or "JPEG" in page.content.decode()
    for _accepted in range(5):
        _code(client.post("/reports/new/", _form(), follow=True))
    refused = client.post("/reports/new/", _form()).content.decode()
    assert "quá nhiều phản ánh" in refused
    assert Report.objects.count() == 5
