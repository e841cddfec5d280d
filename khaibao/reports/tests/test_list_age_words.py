"""The officials' report list writes a report's age as its own page does (review-browser finding 16):
"6 phút", not "0 giờ"."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.reports.models import Report, ReportStatus


def _report(ward: Any, *, ago: timedelta, tag: str, **fields: Any) -> Report:
    at = timezone.now() - ago
    return Report.objects.create(
        category="gathering", ward=ward, address="Số 5 phố Hàng Bài", description="Tụ tập",
        happened_at=at, created_at=at, tracking_hash=tag, **fields,
    )


def _age_cell(html: str, report: Report) -> str:
    row = re.search(rf'data-report="{report.pk}">(.*?)</tr>', html, re.S)
    assert row, html
    cell = re.search(r'data-testid="report-age">(.*?)</td>', row.group(1), re.S)
    assert cell
    return re.sub(r"\s+", " ", cell.group(1).replace("\xa0", " ")).strip()


def test_the_list_writes_ages_in_minutes_and_hours_as_the_detail_page(world: Any) -> None:
    fresh = _report(world.hoan_kiem, ago=timedelta(minutes=6, seconds=5), tag="fresh")
    older = _report(world.hoan_kiem, ago=timedelta(hours=2, minutes=5, seconds=5), tag="older")
    closed = _report(world.hoan_kiem, ago=timedelta(minutes=40, seconds=5), tag="closed", status=ReportStatus.HANDLED)
    new = _report(world.hoan_kiem, ago=timedelta(seconds=5), tag="new")
    official = Client()
    sign_in_staff(official, world.ward_official)
    html = official.get("/staff/reports/?status=", headers={"Accept-Language": "vi"}).content.decode()
    assert _age_cell(html, fresh) == "6 phút"
    assert _age_cell(html, older) == "2 giờ, 5 phút"
    assert _age_cell(html, closed) == "40 phút"
    assert _age_cell(html, new) == "vừa xong"
    detail = official.get(f"/staff/reports/{fresh.pk}/", headers={"Accept-Language": "vi"}).content.decode()
    assert "6\xa0phút trước" in detail or "6 phút trước" in detail
    english = official.get("/staff/reports/?status=", headers={"Accept-Language": "en"}).content.decode()
    assert _age_cell(english, fresh) == "6 minutes"
    assert _age_cell(english, new) == "just now"
