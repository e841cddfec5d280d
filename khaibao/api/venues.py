"""Venue check-in (issue 20): register a venue and print its poster; check in; officials' list.

Citizens check in the people of their household (`person_ids`, default: themselves). A check-in
is one row per person; a repeat within minutes returns the existing check-in (200 instead of
201). A venue's operator sees its daily counts, never who checked in.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import Http404, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from khaibao.accounts.models import Role
from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ApiDateTime, ApiId, ErrorOut, PlaceCode, StrictSchema
from khaibao.core.http import client_ip
from khaibao.venues import runs, selectors, services
from khaibao.venues.models import CheckInVia, Venue, VenueKind
from khaibao.venues.poster import checkin_url, poster_svg

router = Router(tags=["venues"])


class CheckInIn(StrictSchema):
    venue_code: str = Field(..., max_length=100, description="The code on the poster (or the poster's URL)")
    person_ids: list[int] = Field(default_factory=list, description="People of the household; default: yourself")
    at: ApiDateTime | None = Field(None, description="When scanned (offline check-ins); not in the future, at most 72 h old")


class CheckInOut(Schema):
    id: int
    person_id: int
    person_name: str
    venue_id: int
    venue_code: str
    venue_name: str
    venue_address: str
    at: datetime
    via: str
    via_label: str = Field("", description="how the check-in was made, in words, in the request's language")
    created: bool = True

    # The model's own words (venues.models.CheckInVia).
    @staticmethod
    def resolve_via_label(obj: dict[str, object]) -> str:
        return str(CheckInVia(str(obj["via"])).label)


class CheckInsOut(Schema):
    checkins: list[CheckInOut]


class CheckInListOut(CheckInsOut):
    next_cursor: str | None = Field(..., description="pass as `cursor` for the next (older) page; null on the last")
    total: int = Field(..., description="how many check-ins the household has in all (still kept)")


class VenueIn(StrictSchema):
    name: str = Field(..., max_length=300)
    kind: str = Field(..., description=", ".join(VenueKind.values))
    ward_code: int
    street: str = Field(..., max_length=400)
    contact_phone: str = Field("", max_length=30)
    lat: float | None = None
    lon: float | None = None


class DayCount(Schema):
    day: date
    checkins: int


class VenueOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    ward_code: int
    ward_name: str
    province_name: str
    street: str
    lat: float | None
    lon: float | None
    status: str
    status_label: str
    checkin_url: str
    poster_url: str
    created_at: datetime
    daily_counts: list[DayCount] = []


class VenueListOut(Schema):
    venues: list[VenueOut]
    next_cursor: str | None = Field(..., description="pass as `cursor` (same filters) for the next page; null on the last")
    total: int = Field(..., description="how many venues the list has in all")


class StatusIn(StrictSchema):
    status: str = Field(..., description="verified, suspended or pending")


class CaseVisitIn(StrictSchema):
    person_id: ApiId = Field(..., description="The case (F0), a person of your jurisdiction")
    start: ApiDateTime = Field(..., description="ISO 8601; Asia/Ho_Chi_Minh when no offset")
    end: ApiDateTime = Field(..., description="ISO 8601; Asia/Ho_Chi_Minh when no offset")


class RunOut(Schema):
    id: int
    subject: str
    status: str
    status_label: str = Field(..., description="the status in words, in the request's language")
    venues: int


def _venue_out(venue: Venue, *, counts: bool = False) -> dict[str, object]:
    return {
        "id": venue.pk, "code": venue.code, "name": venue.name, "kind": venue.kind,
        "kind_label": str(VenueKind(venue.kind).label), "ward_code": venue.ward_id, "ward_name": venue.ward.name,
        "province_name": venue.ward.province.name, "street": venue.street, "lat": venue.lat, "lon": venue.lon,
        "status": venue.status, "status_label": str(venue.get_status_display()),  # type: ignore[attr-defined]
        "checkin_url": checkin_url(venue), "poster_url": f"/api/v1/venues/{venue.pk}/poster",
        "created_at": venue.created_at,
        "daily_counts": [{"day": d, "checkins": n} for d, n in selectors.venue_daily_counts(venue)] if counts else [],
    }


@router.post("/checkins", response={200: CheckInsOut, 201: CheckInsOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut})
def checkin_post(request: AuthedRequest, data: CheckInIn) -> Status[dict[str, object]]:
    """Check in at a venue. 201 with the new check-ins; 200 when every person was already
    checked in there within the last minutes (the existing check-ins)."""
    via = "offline" if data.at is not None else "scan"
    results = services.checkin_create(
        actor=request.auth, venue_code=data.venue_code, person_ids=data.person_ids, at=data.at, via=via,
        ip=client_ip(request),
    )
    rows = selectors.checkin_rows([r.checkin for r in results], venues=[r.venue for r in results])
    created = {r.checkin.pk: r.created for r in results}
    body: dict[str, object] = {"checkins": [{**row.__dict__, "created": created[row.id]} for row in rows]}
    return Status(201 if any(created.values()) else 200, body)


@router.get("/checkins", response={200: CheckInListOut, 400: ErrorOut})
def checkins_list(
    request: AuthedRequest,
    cursor: str | None = Query(None, description="the previous page's next_cursor"),  # type: ignore[type-arg]
    limit: int = Query(500, ge=1, le=500),  # type: ignore[type-arg]
) -> dict[str, object]:
    """Your household's check-ins still kept (VENUE_CHECKIN_KEEP_DAYS, 21 days by default), newest
    first. Keyset pages: pass `next_cursor` as `cursor` for the next page."""
    page = selectors.checkins_for_account(request.auth, cursor=cursor, limit=limit)
    return {"checkins": [row.__dict__ for row in page.items], "next_cursor": page.next_cursor, "total": page.total}


@router.delete("/checkins/{checkin_id}", response={204: None, 404: ErrorOut})
def checkin_remove(request: AuthedRequest, checkin_id: int) -> Status[None]:
    checkin = selectors.checkin_for_account(request.auth, checkin_id)
    services.checkin_delete(actor=request.auth, checkin=checkin, ip=client_ip(request))
    return Status(204, None)


@router.post("/venues", response={201: VenueOut, 400: ErrorOut, 403: ErrorOut})
def venue_post(request: AuthedRequest, data: VenueIn) -> Status[dict[str, object]]:
    """Register a venue you run (citizens) or your organisation's (organisation admins)."""
    venue = services.venue_register(
        actor=request.auth, data=services.VenueInput(**data.model_dump()), ip=client_ip(request)
    )
    return Status(201, _venue_out(venue))


@router.get("/venues", response={200: VenueListOut, 400: ErrorOut})
def venues_list(
    request: AuthedRequest, status: str = "", kind: str = "", ward_code: PlaceCode | None = None,
    q: str = Query("", max_length=100),  # type: ignore[type-arg]
    cursor: str | None = Query(None, description="the previous page's next_cursor"),  # type: ignore[type-arg]
    limit: int = Query(500, ge=1, le=500),  # type: ignore[type-arg]
) -> dict[str, object]:
    """Officials: the venues of their jurisdiction (filters: status, kind, ward_code, q for a
    name, street or code). Others: the venues they run. Keyset pages: pass `next_cursor` as
    `cursor`, with the same filters, for the next page."""
    if request.auth.role == Role.OFFICIAL:
        page = selectors.venues_for_official_page(
            request.auth, status=status, kind=kind, ward_code=ward_code, query=q, cursor=cursor, limit=limit
        )
    else:
        page = selectors.venues_run_by_page(request.auth, cursor=cursor, limit=limit)
    return {"venues": [_venue_out(v) for v in page.items], "next_cursor": page.next_cursor, "total": page.total}


@router.get("/venues/{venue_id}", response={200: VenueOut, 404: ErrorOut})
def venue_get(request: AuthedRequest, venue_id: int) -> dict[str, object]:
    """A venue you run, or of your jurisdiction (officials), with its check-ins per day."""
    return _venue_out(selectors.venue_for_viewer(request.auth, venue_id), counts=True)


@router.get("/venues/{venue_id}/poster", response={200: None, 404: ErrorOut})
def venue_poster(request: AuthedRequest, venue_id: int) -> HttpResponse:
    """The printable A4 poster, as an SVG document."""
    venue = selectors.venue_for_viewer(request.auth, venue_id)
    response = HttpResponse(poster_svg(venue), content_type="image/svg+xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="khaibao-{venue.code}.svg"'
    return response


@router.post("/venues/{venue_id}/status", response={200: VenueOut, 400: ErrorOut, 404: ErrorOut})
def venue_status(request: AuthedRequest, venue_id: int, data: StatusIn) -> dict[str, object]:
    """Officials: verify, suspend or reinstate a venue of their jurisdiction."""
    venue = selectors.venue_for_official(request.auth, venue_id)
    return _venue_out(services.venue_status_set(actor=request.auth, venue=venue, status=data.status, ip=client_ip(request)))


@router.post("/venues/{venue_id}/case-visits", response={200: RunOut, 201: RunOut, 400: ErrorOut, 404: ErrorOut})
def venue_case_visit(request: AuthedRequest, venue_id: int, data: CaseVisitIn) -> Status[dict[str, object]]:
    """Officials: record that a case was at the venue from `start` to `end`; everyone checked
    in there meanwhile is warned and re-assessed (201). The same visit sent again answers its
    first run with 200 and warns nobody twice."""
    if request.auth.role != Role.OFFICIAL:
        raise Http404  # as a venue outside the jurisdiction: 404 `not_found`, never told apart
    venue = selectors.venue_for_official(request.auth, venue_id)
    run, created = runs.case_visit_put(
        actor=request.auth, venue=venue, person_id=data.person_id, start=data.start, end=data.end, ip=client_ip(request)
    )
    return Status(201 if created else 200, {
        "id": run.pk, "subject": run.subject, "status": run.status,
        "status_label": str(run.get_status_display()),  # type: ignore[attr-defined]
        "venues": len(run.venue_ids),
    })
