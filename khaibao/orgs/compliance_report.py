"""A unit's compliance report as a file: every unit of its subtree, numbers only (CSV or XLSX),
streamed from the rollups and snapshots (khaibao.orgs.compliance) and audited before the first
byte."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from khaibao.audit.services import audit_record
from khaibao.core.errors import ServiceError
from khaibao.exports.writers import CONTENT_TYPES, chunks, csv_stream, xlsx_bytes
from khaibao.orgs.compliance import require_org_admin
from khaibao.orgs.compliance_numbers import report_rows
from khaibao.orgs.models import Campaign, OrgUnit


@dataclass(frozen=True)
class ReportExport:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def report_header() -> list[str]:
    return [
        _("Unit path"), _("Unit"), _("Members"), _("Confirmed"), _("Awaiting confirmation"), _("Declined"),
        _("Declared since the start"), _("Declared, share of confirmed (%)"),
        _("Updated today"), _("Updated today, share of confirmed (%)"), _("People assisted by volunteers"),
    ]


def _report_cells(unit: OrgUnit, campaign: Campaign, day: date) -> Iterator[list[Any]]:
    for r in report_rows(unit, campaign, day):
        yield [
            r.path, r.name, r.members, r.confirmed, r.awaiting, r.declined,
            r.declared, r.declared_pct, r.updated_today, r.updated_pct, r.assisted_people,
        ]


def compliance_report_export(
    *, actor: Any, unit: OrgUnit, campaign: Campaign, day: date, fmt: str, ip: str = ""
) -> ReportExport:
    """A unit's compliance report (every unit of its subtree, numbers only) as CSV or XLSX.

    Streams from the rollups/snapshots; the audit event is written before the first byte.
    """
    require_org_admin(actor)
    if fmt not in CONTENT_TYPES:
        raise ServiceError(_("Choose CSV or XLSX."), fields={"format": _("Choose CSV or XLSX.")})
    with transaction.atomic():
        audit_record(
            actor=actor, action="orgs.compliance_export", obj=unit, ip=ip,
            data={"campaign": campaign.pk, "day": day.isoformat(), "format": fmt},
        )
    safe_code = re.sub(r"[^A-Za-z0-9_-]", "_", unit.code)[:50]
    filename = f"compliance-{safe_code}-{day.isoformat()}.{fmt}"
    header = report_header()
    if fmt == "csv":
        stream: Iterator[bytes] = csv_stream(header, _report_cells(unit, campaign, day))
    else:
        # openpyxl writes the workbook at the end; the rows themselves are iterated, not held.
        stream = chunks(xlsx_bytes(header, _report_cells(unit, campaign, day), title=unit.code))
    return ReportExport(filename=filename, content_type=CONTENT_TYPES[fmt], chunks=stream)
