"""The DPO's audit-trail export is bounded: it is built while the request waits, so past
EXPORT_STREAM_MAX_ROWS events (and never past a worksheet's rows) the DPO is asked to narrow the
filters, with the limit, before anything is read (review "scale" #5)."""

from __future__ import annotations

import io
from typing import Any, cast

import pytest
from django.test import Client
from openpyxl import load_workbook

from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.privacy.audit_trail import AuditFilters, audit_export_max_rows, audit_trail_export

EN = {"Accept-Language": "en"}
VI = {"Accept-Language": "vi"}


@pytest.fixture
def dpo(world: Any) -> Client:
    client = Client()
    sign_in_staff(client, world.dpo)
    return client


@pytest.fixture
def trail(world: Any, settings: Any) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 5
    for i in range(4):
        audit_record(actor=world.national, action="person.case_view", person_id=world.lan_self.pk, data={"n": i})
    for i in range(4):
        audit_record(actor=world.province, action="account.password_set", data={"n": i})


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_refuses_an_export_larger_than_one_request_may_build(world: Any, trail: None, fmt: str) -> None:
    assert AuditEvent.objects.count() > 5
    with pytest.raises(ServiceError) as refused:
        audit_trail_export(actor=world.dpo, filters=AuditFilters(), fmt=fmt)
    assert refused.value.code == "export_too_large"
    assert refused.value.status == 400
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_it_asks_the_dpo_to_narrow_the_filters_in_words(world: Any, trail: None, dpo: Client) -> None:
    resp = dpo.post("/staff/audit/export/", {"format": "xlsx"}, headers=EN)
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "More than 5 events match these filters" in page
    assert "a shorter period" in page
    # the search is shown again, its rows beside the message (not "no events match")
    assert "No events match" not in page
    assert "account.password_set" in page
    resp = dpo.post("/staff/audit/export/", {"format": "csv"}, headers=VI)
    assert resp.status_code == 400
    assert "Thu hẹp" in resp.content.decode()
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_it_exports_once_the_filters_are_narrow_enough(world: Any, trail: None, dpo: Client) -> None:
    resp = dpo.post("/staff/audit/export/", {"action": "account.password_set", "format": "xlsx"}, headers=EN)
    assert resp.status_code == 200, resp.content[:2000]
    sheet = load_workbook(io.BytesIO(b"".join(cast(Any, resp).streaming_content))).active
    assert sheet.max_row == 1 + 4
    assert AuditEvent.objects.filter(action="audit.export").count() == 1


def test_it_never_builds_a_worksheet_longer_than_excel_opens(settings: Any) -> None:
    settings.EXPORT_STREAM_MAX_ROWS = 5_000_000
    assert audit_export_max_rows("xlsx") == 1_048_575  # plus the header: Excel's 1,048,576 rows
    assert audit_export_max_rows("csv") == 5_000_000
