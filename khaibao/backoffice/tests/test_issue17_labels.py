"""Issue 17, minor label fixes on the staff pages: every heading says what its column holds."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from khaibao.declarations.tests.helpers import ago
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.reports.tests.test_pages import _form
from khaibao.stats.tests.helpers import declare, official_client, refresh, update
from khaibao.zones.inputs import CircleInput, ZoneInput
from khaibao.zones.zones import zone_declare


def _headers(html: str, table_class: str) -> list[str]:
    table = re.search(rf'<table class="[^"]*{table_class}[^"]*">(.*?)</thead>', html, re.S)
    assert table, table_class
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", table.group(1), re.S)]


def test_it_heads_the_symptom_counts_as_times_reported_not_citizen_reports(world: Any, api: Any) -> None:
    declare(api, world.lan, world.lan_self, symptoms=[{"code": "fever", "onset": ago(1)}])
    update(api, world.lan, world.lan_parent, symptoms=["cough"])
    refresh()
    html = official_client(world.province).get("/staff/stats/", headers={"Accept-Language": "vi"}).content.decode()
    section = html[html.index("Triệu chứng được báo"):]
    headers = _headers(section, "stats-table")
    assert headers == ["Triệu chứng", "Số lượt khai báo"]
    assert "Phản ánh" not in headers


def test_it_heads_the_report_age_as_time_since_received(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    client.post("/reports/new/", _form())
    official = Client()
    sign_in_staff(official, world.ward_official)
    headers = _headers(official.get("/staff/reports/").content.decode(), "reports")
    assert "Thời gian từ khi nhận" in headers
    assert "Tuổi" not in headers  # a report has no age in years


def test_it_writes_a_circle_only_zone_without_a_stray_separator(world: Any) -> None:
    version = zone_declare(actor=world.province, data=ZoneInput(
        province_code=world.hanoi.code, name="Chợ Đồng Xuân", level=4, lockdown=True,
        circle=CircleInput(lat=21.0381, lon=105.8497, radius_m=300),
    ))
    official = Client()
    sign_in_staff(official, world.province)
    html = official.get(f"/staff/zones/{version.zone_id}/").content.decode()
    area = re.search(r'<span class="zone-area">(.*?)</span>', html, re.S)
    assert area
    assert area.group(1).startswith("vòng tròn bán kính 300 m")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "· ;" not in text
    assert "; ;" not in text
