"""The audit trail for data-protection officers: the console's search as JSON."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut
from khaibao.core.errors import ServiceError
from khaibao.privacy import audit_trail as selectors

router = Router(tags=["audit"])


class AuditQuery(Schema):
    person_id: int | None = Field(None, ge=1, le=2**63 - 1)
    actor: str = Field("", max_length=150, description="username or account id")
    action: str = Field("", max_length=100, description='exact, or a prefix ending in "." (e.g. "person.")')
    date_from: date | None = Field(None, description="first local day (Asia/Ho_Chi_Minh), inclusive")
    date_to: date | None = Field(None, description="last local day, inclusive")
    before: int | None = Field(None, ge=1, le=2**63 - 1, description="next_before of the previous page")


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    person_id: int | None
    reason: str
    ip: str


class AuditPageOut(Schema):
    items: list[AuditEventOut]
    next_before: int | None = Field(None, description="pass as `before` for the next (older) page")


@router.get("", response={200: AuditPageOut, 400: ErrorOut, 403: ErrorOut})
def audit_search(request: AuthedRequest, q: Query[AuditQuery]) -> AuditPageOut:
    """Audit events newest first, 50 a page (keyset). Data-protection officers only."""
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise ServiceError(_("The end date is before the start date."), fields={"date_to": _("The end date is before the start date.")})
    filters = selectors.AuditFilters(
        person_id=q.person_id, actor=q.actor, action=q.action, date_from=q.date_from, date_to=q.date_to
    )
    try:
        rows = selectors.audit_events_search(user=request.auth, filters=filters, before=q.before)
    except PermissionDenied as exc:
        raise ServiceError(_("Only the data-protection officer can read the audit trail."), code="forbidden", status=403) from exc
    return AuditPageOut(
        items=[AuditEventOut(**row.__dict__) for row in rows],
        next_before=rows[-1].id if len(rows) == selectors.PAGE else None,
    )
