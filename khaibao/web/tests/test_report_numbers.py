"""A citizen matches a notification to a report (review: the notification says "phản ánh số 3",
but "My reports" and the tracking page showed no number). Each report shows the number the
notification uses: its id."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.notifications.models import Notification
from khaibao.reports.handling import report_reply_add
from khaibao.reports.models import Report
from khaibao.reports.tests.helpers import report_body


def test_it_shows_on_my_reports_the_number_the_notification_names(world: Any, api: Any) -> None:
    for _ in range(2):
        assert api.as_(world.lan).post("/reports", report_body()).status_code == 201
    first, second = Report.objects.filter(reporter=world.lan).order_by("pk")
    report_reply_add(actor=world.ward_official, report=second, text="Đã cử cán bộ đến kiểm tra.")
    note = Notification.objects.get(account=world.lan)
    client = Client()
    client.force_login(world.lan)
    inbox = client.get("/notifications/").content.decode()
    assert f"phản ánh số {second.pk} " in inbox, inbox
    mine = client.get("/reports/").content.decode()
    assert note.link == f"/reports/#report-{second.pk}"
    article = mine.split(f'id="report-{second.pk}"', 1)[1].split("</article>", 1)[0]
    assert f"Phản ánh số {second.pk}:" in article
    other = mine.split(f'id="report-{first.pk}"', 1)[1].split("</article>", 1)[0]
    assert f"Phản ánh số {first.pk}:" in other


def test_it_shows_the_number_on_the_tracking_page(world: Any, api: Any) -> None:
    resp = api.as_(world.lan).post("/reports", report_body())
    assert resp.status_code == 201
    code = resp.json()["tracking_code"]
    report = Report.objects.get(reporter=world.lan)
    page = Client().post("/reports/track/", {"code": code}).content.decode()
    assert f"Phản ánh số {report.pk}:" in page
