"""The audit trail for data-protection officers: the console's search as JSON."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut, QuerySchema
from khaibao.audit import labels
from khaibao.core.errors import ServiceError
from khaibao.core.params import ID_MAX
from khaibao.privacy import audit_trail as selectors

router = Router(tags=["audit"])


class AuditQuery(QuerySchema):
    person_id: int | None = Field(None, ge=1, le=ID_MAX)
    actor: str = Field("", max_length=150, description="username or account id")
    action: str = Field("", max_length=100, description='exact, or a prefix ending in "." (e.g. "person.")')
    category: str = Field(
        "", max_length=40, description="one of: " + ", ".join(labels.CATEGORIES) + " (GET /audit/categories lists them with labels)"
    )
    date_from: date | None = Field(None, description="first local day (Asia/Ho_Chi_Minh), inclusive")
    date_to: date | None = Field(None, description="last local day, inclusive")
    before: int | None = Field(None, ge=1, le=ID_MAX, description="next_before of the previous page")


class AuditEventOut(Schema):
    id: int
    at: datetime
    actor_id: int | None
    actor_label: str
    action: str
    action_label: str = Field(..., description="what was done, in words (the request's language)")
    category: str
    category_label: str
    object_type: str
    object_id: str
    object_label: str = Field(..., description='e.g. "Thành viên danh sách #1"; empty when the event has no object')
    person_id: int | None
    reason: str
    reason_label: str = Field(..., description="the purpose in words for a reason code; a typed reason as it is")
    ip: str
    people_listed: int | None = Field(
        None, description="for a list seen (category lists): how many people the page showed; "
        "a search by person_id finds these events too"
    )


class CategoryOut(Schema):
    code: str
    label: str
    actions: list[dict[str, str]] = Field(..., description='[{"code", "label"}] of the category\'s actions')


def _event_out(row: selectors.AuditRow) -> AuditEventOut:
    return AuditEventOut(
        **row.__dict__, action_label=row.action_label, category=row.category, category_label=row.category_label,
        object_label=row.object_label, reason_label=row.reason_label,
    )


class AuditPageOut(Schema):
    items: list[AuditEventOut]
    next_before: int | None = Field(None, description="pass as `before` for the next (older) page")


@router.get("", response={200: AuditPageOut, 400: ErrorOut, 403: ErrorOut})
def audit_search(request: AuthedRequest, q: Query[AuditQuery]) -> AuditPageOut:
    """Audit events newest first, 50 a page (keyset). Data-protection officers only."""
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise ServiceError(_("The end date is before the start date."), fields={"date_to": _("The end date is before the start date.")})
    if q.category and q.category not in labels.CATEGORIES:
        message = _("Choose one of the categories.")
        raise ServiceError(message, fields={"category": message})
    filters = selectors.AuditFilters(
        person_id=q.person_id, actor=q.actor, action=q.action, category=q.category,
        date_from=q.date_from, date_to=q.date_to,
    )
    try:
        rows = selectors.audit_events_search(user=request.auth, filters=filters, before=q.before)
    except PermissionDenied as exc:
        raise ServiceError(_("Only the data-protection officer can read the audit trail."), code="forbidden", status=403) from exc
    return AuditPageOut(
        items=[_event_out(row) for row in rows],
        next_before=rows[-1].id if len(rows) == selectors.PAGE else None,
    )


@router.get("/categories", response={200: list[CategoryOut], 403: ErrorOut})
def audit_categories(request: AuthedRequest) -> list[CategoryOut]:
    """The categories to filter by, each with its actions, all with labels. DPO only."""
    if not selectors.may_read_audit(request.auth):
        raise ServiceError(_("Only the data-protection officer can read the audit trail."), code="forbidden", status=403)
    return [
        CategoryOut(
            code=code, label=str(label),
            actions=[{"code": a, "label": labels.action_label(a)} for a in labels.category_actions(code)],
        )
        for code, label in labels.CATEGORIES.items()
    ]
