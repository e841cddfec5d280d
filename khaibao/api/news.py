"""Official information: announcements, recommendations and hotlines.

Reading is public (no token): `GET /news?province=<code>` gives the whole country's items plus
that province's, pinned first then newest, by keyset pages (`cursor` = the previous page's
`next_cursor`). Without `province`, only whole-country items. Each item carries its Markdown
source and the sanitised HTML to show.

Publishing: national officials for the whole country (`"province": null`) or any province;
province officials for their own province only; everyone else gets 403. Unpublishing sets
`expires_at` (`POST /news/{id}/unpublish`); nothing is deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from khaibao.api.auth import AuthedRequest
from khaibao.api.schemas import ApiDateTime, ErrorOut, QuerySchema, StrictSchema
from khaibao.core.http import client_ip
from khaibao.news import selectors, services
from khaibao.news.models import Announcement

router = Router(tags=["news"])

KindIn = Literal["announcement", "recommendation", "hotline"]


class ProvinceOut(Schema):
    code: int
    name: str


class NewsOut(Schema):
    id: int
    kind: str
    kind_label: str = Field(..., description="the kind in words, in the request's language")
    title: str
    body: str = Field(..., description="Markdown source, as the official wrote it")
    body_html: str = Field(..., description="The Markdown rendered and sanitised: safe to show")
    title_en: str
    body_en: str
    body_en_html: str
    phone: str = Field(..., description="Hotlines only: the digits to dial, e.g. 19009095")
    phone_display: str
    province: ProvinceOut | None = Field(..., description="null: the whole country")
    pinned: bool
    publish_at: datetime
    expires_at: datetime | None
    updated_at: datetime
    url: str


class NewsPageOut(Schema):
    items: list[NewsOut]
    next_cursor: str | None


class NewsFilter(QuerySchema):
    province: int | None = Field(None, description="Province code: adds that province's items")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(20, ge=1, le=100)


class NewsIn(StrictSchema):
    """`body` is Markdown (≤ 20,000 characters); `publish_at` defaults to now."""

    kind: KindIn = "announcement"
    title: str
    body: str = ""
    title_en: str = ""
    body_en: str = ""
    phone: str = ""
    province: int | None = None
    pinned: bool = False
    publish_at: ApiDateTime | None = None
    expires_at: ApiDateTime | None = None


class NewsPatch(StrictSchema):
    """Only the fields sent change; `"province": null` means the whole country."""

    kind: KindIn | None = None
    title: str | None = None
    body: str | None = None
    title_en: str | None = None
    body_en: str | None = None
    phone: str | None = None
    province: int | None = None
    pinned: bool | None = None
    publish_at: ApiDateTime | None = None
    expires_at: ApiDateTime | None = None


def _out(item: Announcement) -> NewsOut:
    province = ProvinceOut(code=item.province.pk, name=item.province.name) if item.province else None
    return NewsOut(
        id=item.pk, kind=item.kind, kind_label=str(item.get_kind_display()),  # type: ignore[attr-defined]
        title=item.title, body=item.body, body_html=item.body_html,
        title_en=item.title_en, body_en=item.body_en, body_en_html=item.body_en_html,
        phone=item.phone, phone_display=item.phone_display, province=province, pinned=item.pinned,
        publish_at=item.publish_at, expires_at=item.expires_at, updated_at=item.updated_at,
        url=reverse("web:news_detail", args=[item.pk]),
    )


@router.get("", auth=None, response={200: NewsPageOut, 400: ErrorOut})
def news_list(request: HttpRequest, filters: Query[NewsFilter]) -> NewsPageOut:
    """Published, unexpired items for the whole country (+ one province): pinned first, newest first."""
    selectors.province_for_feed(filters.province)
    page = selectors.news_feed_page(province_code=filters.province, cursor=filters.cursor, limit=filters.limit)
    return NewsPageOut(items=[_out(item) for item in page.items], next_cursor=page.next_cursor)


@router.get("/{announcement_id}", auth=None, response={200: NewsOut, 404: ErrorOut})
def news_detail(request: HttpRequest, announcement_id: int) -> NewsOut:
    """One published item; scheduled and withdrawn items answer 404."""
    return _out(selectors.news_get_published(announcement_id))


@router.post("", response={201: NewsOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut})
def news_create(request: AuthedRequest, data: NewsIn) -> Status:
    """Publish or schedule an item (national and province officials)."""
    item = services.announcement_create(
        actor=request.auth,
        data=services.AnnouncementData(**data.model_dump()),
        ip=client_ip(request),
    )
    return Status(201, _out(item))


def _editable(request: AuthedRequest, announcement_id: int) -> Announcement:
    account: Any = request.auth
    selectors.require_publisher(account)
    return selectors.access_announcement_for_editor(account, announcement_id)


@router.patch("/{announcement_id}", response={200: NewsOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def news_update(request: AuthedRequest, announcement_id: int, data: NewsPatch) -> NewsOut:
    """Change an item you may edit; the whole result is validated again."""
    item = _editable(request, announcement_id)
    item = services.announcement_update(
        actor=request.auth,
        announcement=item,
        changes=data.model_dump(exclude_unset=True),
        ip=client_ip(request),
    )
    return _out(item)


@router.post(
    "/{announcement_id}/unpublish", response={200: NewsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def news_unpublish(request: AuthedRequest, announcement_id: int) -> NewsOut:
    """Withdraw an item now (sets `expires_at`); it stays on record."""
    item = _editable(request, announcement_id)
    item = services.announcement_unpublish(actor=request.auth, announcement=item, ip=client_ip(request))
    return _out(item)
