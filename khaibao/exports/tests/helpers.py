"""Shared bits for the export tests: data through the public API, files read back."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook

from khaibao.declarations.tests.helpers import declaration, risk_declaration

REASON = "Báo cáo tuần cho Sở Y tế"  # Vietnamese, > 10 characters


def body(kind: str = "stats", fmt: str = "csv", reason: str = REASON, **filters: Any) -> dict[str, Any]:
    return {"kind": kind, "format": fmt, "filters": filters, "reason": reason}


def declare_everyone(world: Any, api: Any) -> None:
    """Declarations in both provinces: Lan's father (Hà Nội) and Hùng (TP.HCM) at risk."""
    for account, person, payload in (
        (world.lan, world.lan_self, declaration()),
        (world.lan, world.lan_parent, risk_declaration()),
        (world.mai, world.mai_self, declaration()),
        (world.hung, world.hung_self, risk_declaration()),
        (world.hoa, world.hoa_self, declaration()),
    ):
        path = "risk-declarations" if "contact_with_case" in payload else "declarations"
        resp = api.as_(account).post(f"/people/{person.id}/{path}", payload)
        assert resp.status_code == 201, resp.content


def refresh_stats() -> None:
    from khaibao.stats.tasks import stats_refresh

    stats_refresh.call()


def content(resp: Any) -> bytes:
    return b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(data: bytes) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheet = book.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}
    }
