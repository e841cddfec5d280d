"""Builders for organisation tests: console clients, roster files and roster lines."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from khaibao.accounts.models import Account, Role
from khaibao.accounts.phones import phone_index
from khaibao.orgs.models import Member, OrgUnit

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


_phones = itertools.count(1)


def roster_lines(unit: OrgUnit, count: int) -> list[Member]:
    """Roster lines nobody signed in with: only an SMS to the roster phone reaches them."""
    lines = []
    for _ in range(count):
        phone = f"+8497{next(_phones):07d}"
        lines.append(Member.objects.create(unit=unit, full_name="Thành viên", phone=phone, phone_index=phone_index(phone)))
    return lines


def signed_in_lines(unit: OrgUnit, count: int) -> list[Member]:
    """Roster lines of citizens who signed in (linked, not confirmed yet); SMS allowed, the default."""
    lines = []
    for _ in range(count):
        phone = f"+8496{next(_phones):07d}"
        holder = Account.objects.create_user(None, None, role=Role.CITIZEN, phone=phone, phone_index=phone_index(phone))
        lines.append(Member.objects.create(
            unit=unit, full_name="Người dùng", phone=phone, phone_index=phone_index(phone), account=holder,
            linked_at=timezone.now(),
        ))
    return lines
