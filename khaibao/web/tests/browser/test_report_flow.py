"""Issue 6 end to end in a browser: a citizen sends a report with a photo, the ward official
opens it, handles it and replies, and the citizen reads the reply under "My reports"."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from khaibao.reports.models import Report
from khaibao.reports.tests.helpers import jpeg_bytes
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in, totp_now

pytestmark = pytest.mark.browser


def test_it_takes_a_report_from_a_citizen_to_a_reply(
    page: Any, new_page: Any, world: Any, sms: Any, settings: Any, tmp_path: Path
) -> None:
    settings.REPORT_MEDIA_ROOT = tmp_path / "report-media"
    citizen_sign_in(page, sms, phone="0900000001", e164="+84900000001")
    page.goto("/reports/new/")
    page.check("input[name=category][value=gathering]")
    page.select_option("select[name=province]", "1")
    expect(page.locator("select[name=ward_code] option[value='70']")).to_have_count(1)
    page.select_option("select[name=ward_code]", "70")
    page.fill("input[name=address]", "Quán karaoke số 9 Hàng Bài")
    page.fill("textarea[name=description]", "Khoảng 30 người tụ tập hát karaoke từ tối.")
    page.fill("input[name=happened_date]", (timezone.localdate() - timedelta(days=1)).isoformat())
    page.set_input_files(
        "input[name=photos]", files=[{"name": "quan.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(gps=True)}]
    )
    page.click("#report-form button.button[type=submit]")
    expect(page.locator("[data-testid=tracking-code]")).to_have_text(re.compile(r"^[A-Z2-7]{10}$"))

    official = new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(official, username="demo-ward")
    device = TOTPDevice.objects.get(user__username="demo-ward", confirmed=False)
    official.fill("input[name=code]", totp_now(device))
    official.click("form:has(input[name=code]) button[type=submit]")
    official.wait_for_url(lambda url: "/staff/2fa/" not in url)
    official.click("a[href='/staff/reports/']")
    rows = official.locator("tr.report-row")
    expect(rows).to_have_count(1)
    rows.first.locator("a").click()
    expect(official.locator("main")).to_contain_text("Quán karaoke số 9 Hàng Bài")
    expect(official.locator("p.photos img")).to_have_count(1)
    received = official.locator("[data-testid=report-status]").inner_text()
    official.select_option("select[name=status]", "handled")
    official.click("form[action$='/status/'] button[type=submit]")
    expect(official.locator("[data-testid=report-status]")).not_to_have_text(received)
    official.fill("textarea[name=reply-text]", "Công an phường đã đến nhắc nhở, giải tán.")
    official.click("form[action$='/replies/'] button[type=submit]")
    expect(official.locator("main")).to_contain_text("Công an phường đã đến nhắc nhở")

    page.goto("/reports/")
    expect(page.locator("main")).to_contain_text("Công an phường đã đến nhắc nhở, giải tán.")


def test_it_solves_the_proof_of_work_for_an_anonymous_report(
    page: Any, world: Any, settings: Any, tmp_path: Path
) -> None:
    settings.REPORT_MEDIA_ROOT = tmp_path / "report-media"
    settings.REPORT_POW_MAX_NUMBER = 5000
    page.goto("/reports/new/")
    page.check("input[name=category][value=misinformation]")
    page.select_option("select[name=province]", "1")
    expect(page.locator("select[name=ward_code] option[value='70']")).to_have_count(1)
    page.select_option("select[name=ward_code]", "70")
    page.fill("input[name=address]", "Nhóm Zalo tổ dân phố 5")
    page.fill("textarea[name=description]", "Tin nhắn nói uống nước chanh nóng chữa được bệnh.")
    page.fill("input[name=happened_date]", timezone.localdate().isoformat())
    expect(page.locator("#report-pow")).not_to_have_value("")
    page.click("#report-form button.button[type=submit]")
    code = page.locator("[data-testid=tracking-code]").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{10}", code)

    page.goto("/reports/track/")
    page.fill("input[name=code]", code.lower())
    page.click("main form button[type=submit]")
    expect(page.locator("[data-testid=report-status]")).to_be_visible()


def test_it_fills_the_map_point_only_when_asked(page: Any, world: Any, settings: Any, tmp_path: Path) -> None:
    settings.REPORT_MEDIA_ROOT = tmp_path / "report-media"
    settings.REPORT_POW_MAX_NUMBER = 5000
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 21.0285, "longitude": 105.8542})
    # Count the location requests: opening the form must not make one.
    page.add_init_script("""
        window.geoCalls = 0;
        const ask = navigator.geolocation.getCurrentPosition.bind(navigator.geolocation);
        navigator.geolocation.getCurrentPosition = (...args) => { window.geoCalls += 1; return ask(...args); };
    """)
    page.goto("/reports/new/")
    expect(page.locator("#point-map")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.locator("#point-map").click()
    expect(page.locator("input[name=lat]")).not_to_have_value("")
    assert page.evaluate("window.geoCalls") == 0

    page.click("#point-locate")
    expect(page.locator("input[name=lat]")).to_have_value("21.028500")
    expect(page.locator("input[name=lon]")).to_have_value("105.854200")
    assert page.evaluate("window.geoCalls") == 1

    page.check("input[name=category][value=gathering]")
    page.select_option("select[name=province]", "1")
    expect(page.locator("select[name=ward_code] option[value='70']")).to_have_count(1)
    page.select_option("select[name=ward_code]", "70")
    page.fill("input[name=address]", "Sân chung cư số 9")
    page.fill("textarea[name=description]", "Khoảng 50 người tụ tập tổ chức tiệc.")
    page.fill("input[name=happened_date]", timezone.localdate().isoformat())
    expect(page.locator("#report-pow")).not_to_have_value("")
    page.click("#report-form button.button[type=submit]")
    expect(page.locator("[data-testid=tracking-code]")).to_be_visible()
    report = Report.objects.get()
    assert (report.lat, report.lon) == (21.0285, 105.8542)
