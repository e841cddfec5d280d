"""Builders for organisation tests: console clients and roster files."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

HEADER = ["Họ và tên", "Số điện thoại", "Đơn vị", "Vai trò"]


def console(account: Any) -> Client:
    client = Client()
    client.force_login(account)
    return client


def csv_file(rows: list[list[str]], *, header: list[str] | None = None, name: str = "roster.csv") -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_file(rows: list[list[Any]], *, name: str = "roster.xlsx") -> SimpleUploadedFile:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(
        name, out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def upload(api_client: Any, unit_id: int, file: SimpleUploadedFile) -> Any:
    """POST a roster as multipart through the API client's underlying Django client."""
    return api_client.client.post(
        f"/api/v1/orgs/{unit_id}/roster", {"file": file}, headers=api_client._headers(None)
    )


def read_error_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
