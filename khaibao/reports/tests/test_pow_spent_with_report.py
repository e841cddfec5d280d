"""An anonymous report's proof of work is spent with the report's row, in its transaction: a
report refused or rolled back leaves the solution for the retry (fault review, finding 7)."""

from __future__ import annotations

from typing import Any
from unittest import mock

from django.db import OperationalError
from django.test import Client

from khaibao.reports.models import Report
from khaibao.reports.tests.helpers import png_bytes, report_body, solve_pow, submit_multipart, upload

POW_SPENT = (
    "A report was already sent with this anti-spam check. To send another one, wait for a new check to finish "
    "and send again."
)


def test_it_accepts_the_keyed_retry_of_a_report_that_failed_on_the_database(world: Any, api: Any) -> None:
    body = report_body(pow=solve_pow())
    headers = {"Idempotency-Key": "anon-report-1"}
    real = Report.objects.create
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("canceling statement due to lock timeout")
        return real(**kwargs)

    api.client.raise_request_exception = False
    with mock.patch.object(Report.objects, "create", side_effect=flaky):
        first = api.post("/reports", body, headers=headers)
        second = api.post("/reports", body, headers=headers)
    assert first.status_code == 503
    assert second.status_code == 201, second.content
    assert Report.objects.count() == 1


def test_it_keeps_the_solution_after_a_refused_photo(world: Any, api: Any) -> None:
    body = report_body(pow=solve_pow())
    bad = submit_multipart(api, body, [upload("x.jpg", b"not an image", "image/jpeg")])
    assert bad.status_code == 400
    assert "photos" in bad.json()["error"]["fields"]
    good = submit_multipart(api, body, [upload("x.png", png_bytes(), "image/png")])
    assert good.status_code == 201, good.content


def test_it_keeps_the_solution_after_the_rate_limit(world: Any, api: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_IP = 0
    body = report_body(pow=solve_pow())
    assert api.post("/reports", body).status_code == 429
    settings.REPORT_RATE_PER_IP = 10
    assert api.post("/reports", body).status_code == 201


def test_it_still_spends_a_solution_on_one_report_only(world: Any, api: Any) -> None:
    body = report_body(pow=solve_pow())
    assert api.post("/reports", body).status_code == 201
    again = api.post(
        "/reports", report_body(pow=body["pow"], description="Một phản ánh khác."), headers={"Accept-Language": "en"}
    )
    assert again.status_code == 400
    assert again.json()["error"]["fields"]["pow"] == POW_SPENT
    assert Report.objects.count() == 1


def test_the_page_keeps_the_solution_after_a_refused_photo(world: Any) -> None:
    browser = Client()
    data = {"category": "gathering", "province": world.hanoi.code, "ward_code": world.hoan_kiem.code,
            "address": "Số 5 phố Hàng Bài", "description": "Tụ tập đông người.",
            "happened_date": "01/01/2026", "happened_time": "08:00", "pow": solve_pow(browser)}
    refused = browser.post("/reports/new/", {**data, "photos": [upload("x.jpg", b"not an image", "image/jpeg")]})
    assert refused.status_code == 400
    sent = browser.post("/reports/new/", data)
    assert sent.status_code == 302, sent.content.decode()[:2000]
    assert Report.objects.get().reporter is None
