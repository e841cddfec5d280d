"""Organisation admins' API (issue 7): the units of the admin's subtree (the tree or a page of
it, create, rename, move, archive) and their rosters (import, the rejected rows). Campaigns and
what is measured against them (compliance, members, reminders, chasing) are in
api/org_campaigns.py, under the same /orgs.

Who may call: accounts with role org_admin only (403 for anyone else, `org_admin`, shared with
api/org_campaigns.py); a unit outside the admin's subtree answers 404 like a missing one.
Nothing here returns health data.
"""

from __future__ import annotations

from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ErrorOut, QuerySchema, StrictSchema
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip, csv_attachment
from khaibao.core.params import ID_MAX
from khaibao.orgs import access, roster_import, selectors, services
from khaibao.orgs.models import OrgUnit

router = Router(tags=["organisations"])

INLINE_ERRORS_MAX = 100


def org_admin(request: AuthedRequest) -> Any:
    """The caller's account if it is an organisation admin, else ServiceError 403."""
    user = request.auth
    if not access.is_org_admin(user):
        raise ServiceError(_("Only organisation admins can use this."), code="forbidden", status=403)
    return user


class UnitNode(Schema):
    id: int
    code: str
    name: str
    path: str
    archived: bool
    children: list[UnitNode]


UnitNode.model_rebuild()


class UnitOut(Schema):
    id: int
    code: str
    name: str
    path: str
    parent_id: int | None
    archived: bool


def _unit_out(unit: OrgUnit) -> UnitOut:
    return UnitOut(
        id=unit.pk, code=unit.code, name=unit.name, path=unit.path, parent_id=unit.parent_id,
        archived=unit.archived_at is not None,
    )


class UnitIn(StrictSchema):
    code: str
    name: str


class UnitPatch(StrictSchema):
    name: str | None = None
    parent_id: int | None = None
    archived: bool | None = None


class RosterErrorOut(Schema):
    row: int
    reason: str


class RosterOut(Schema):
    import_id: int
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: int
    error_file_url: str | None
    error_rows: list[RosterErrorOut]


UNITS_LIMIT_DEFAULT = 50
UNITS_LIMIT_MAX = 200


class UnitsQuery(QuerySchema):
    parent: int | None = Field(
        None, ge=1, le=ID_MAX,
        description="list this unit's children a page at a time (default, with `q`, `cursor` or `limit`: your own unit)",
    )
    q: str | None = Field(
        None, max_length=selectors.UNIT_SEARCH_MAX,
        description="instead of the children, the units anywhere below `parent` whose name or code contains this",
    )
    cursor: str | None = Field(None, max_length=1000, description="`next_cursor` of the previous page")
    limit: int | None = Field(None, ge=1, le=UNITS_LIMIT_MAX, description=f"units per page (default {UNITS_LIMIT_DEFAULT})")


class UnitRowOut(UnitOut):
    child_count: int = Field(..., description="its direct child units (archived ones included)")
    member_count: int = Field(..., description="its own active roster lines (not its children's)")


class UnitsPageOut(Schema):
    parent: UnitOut
    items: list[UnitRowOut]
    total: int = Field(..., description="how many units the whole list (every page) has")
    next_cursor: str | None = Field(..., description="pass as `cursor` for the next page; null on the last")


@router.get("", response={200: UnitsPageOut | list[UnitNode], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def orgs_tree(request: AuthedRequest, query: Query[UnitsQuery]) -> Any:
    """With `parent` (or `q`, `cursor`, `limit`): one page of a unit's children by code (default:
    your own unit), each with its counts — or, with `q`, of the units below it whose name or code
    contains `q`; pass `next_cursor` as `cursor` for the next page.

    With none of them: the units you administer as one tree (archived units included, flagged),
    only for a subtree of at most 1,000 units; a bigger one answers 400 `too_many_units`."""
    user = org_admin(request)
    if query.parent is None and query.q is None and query.cursor is None and query.limit is None:
        if selectors.units_count(user) > selectors.UNIT_TREE_MAX:
            message = _(
                "Your organisation has more than %(max)s units: list them a level at a time with "
                "GET /api/v1/orgs?parent={id} (pages of at most %(limit)s)."
            ) % {"max": number_format(selectors.UNIT_TREE_MAX, force_grouping=True), "limit": UNITS_LIMIT_MAX}
            raise ServiceError(message, code="too_many_units")
        return selectors.unit_tree(user)
    parent = access.access_unit_for_user(user, query.parent) if query.parent is not None else user.org_unit
    text = (query.q or "").strip()
    limit = query.limit or UNITS_LIMIT_DEFAULT
    if text:
        page = selectors.units_search_page(parent, text, cursor=query.cursor, limit=limit)
    else:
        page = selectors.unit_children_page(parent, cursor=query.cursor, limit=limit)
    counts = selectors.unit_counts(page.items)
    return UnitsPageOut(
        parent=_unit_out(parent),
        items=[
            UnitRowOut(**_unit_out(u).model_dump(), child_count=counts[u.pk][0], member_count=counts[u.pk][1])
            for u in page.items
        ],
        total=page.total or 0,
        next_cursor=page.next_cursor,
    )


@router.post("/{unit_id}/units", response={201: UnitOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def unit_create(request: AuthedRequest, unit_id: int, data: UnitIn) -> Any:
    """Create a child unit; `code` is unique among the parent's children and becomes part of the path."""
    user = org_admin(request)
    parent = access.access_unit_for_user(user, unit_id)
    unit = services.unit_create(actor=user, parent=parent, code=data.code, name=data.name, ip=client_ip(request))
    return Status(201, _unit_out(unit))


@router.patch("/{unit_id}", response={200: UnitOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def unit_patch(request: AuthedRequest, unit_id: int, data: UnitPatch) -> Any:
    """Rename (`name`), move (`parent_id`, another unit of your subtree) or archive (`archived: true`,
    only an empty unit: no active members, no active child units)."""
    user = org_admin(request)
    unit = access.access_unit_for_user(user, unit_id)
    ip = client_ip(request)
    if data.archived is False and unit.archived_at is not None:
        raise ServiceError(_("Archived units cannot be restored here."), fields={"archived": _("Archived units cannot be restored here.")})
    unit = services.unit_update(
        actor=user, unit=unit, name=data.name, new_parent_id=data.parent_id, archive=bool(data.archived), ip=ip
    )
    return _unit_out(unit)


@router.post("/{unit_id}/roster", response={200: RosterOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def roster_upload(request: AuthedRequest, unit_id: int, file: File[UploadedFile]) -> Any:
    """Import a roster (multipart field `file`: .csv in UTF-8 or .xlsx, at most 20,000 rows and
    10 MB). Columns: full name, phone, unit (code or path; empty = this unit), role. Valid rows
    are created or updated; the rest come back inline (first 100) and as a CSV at `error_file_url`."""
    user = org_admin(request)
    unit = access.access_unit_for_user(user, unit_id)
    result = roster_import.roster_import(
        actor=user, unit=unit, filename=file.name or "", handle=file, size=file.size or 0, ip=client_ip(request)
    )
    record = result.record
    assert record is not None
    url = f"/api/v1/orgs/roster-imports/{record.pk}/errors.csv" if result.errors else None
    return RosterOut(
        import_id=record.pk, rows=record.rows, created=result.created, updated=result.updated,
        unchanged=result.unchanged, errors=len(result.errors), error_file_url=url,
        error_rows=[RosterErrorOut(row=row.number, reason=reason) for row, reason in result.errors[:INLINE_ERRORS_MAX]],
    )


@router.get("/roster-imports/{import_id}/errors.csv", response={200: None, 403: ErrorOut, 404: ErrorOut})
def roster_errors(request: AuthedRequest, import_id: int) -> Any:
    """The rejected rows of one of your imports, with the reason on each row (CSV, UTF-8)."""
    record = access.access_roster_import_for_user(org_admin(request), import_id)
    return csv_attachment(record.error_csv, filename=record.error_file_name)
