"""Public pages of official information: the feed (filter by province) and one item."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from khaibao.core.errors import ServiceError
from khaibao.news import selectors
from khaibao.places import selectors as places

PAGE_SIZE = 20
HOME_ITEMS = 5


def home_news(request: HttpRequest) -> dict[str, Any]:
    """The home page's feed: the signed-in citizen's province (from their own home ward) plus the
    whole country's items; whole-country items only for everyone else."""
    code = selectors.citizen_home_province_code(request.user)
    page = selectors.news_feed_page(province_code=code, limit=HOME_ITEMS)
    return {"news_items": page.items, "news_more": page.next_cursor is not None, "news_province_code": code}


@require_GET
def news_list(request: HttpRequest) -> HttpResponse:
    error = ""
    province = None
    raw = request.GET.get("province", "").strip()
    if raw:
        try:
            province = selectors.province_for_feed(int(raw))
        except (ValueError, ServiceError):
            error = _("We do not know this province. Showing news for the whole country.")
    elif "province" not in request.GET:
        # A signed-in citizen starts with their own province; choosing "whole country" sends province="".
        code = selectors.citizen_home_province_code(request.user)
        province = selectors.province_for_feed(code) if code else None
    try:
        page = selectors.news_feed_page(
            province_code=province.pk if province else None, cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE
        )
    except ServiceError:
        error = error or _("This page link is out of date. Showing the newest items.")
        page = selectors.news_feed_page(province_code=province.pk if province else None, limit=PAGE_SIZE)
    context = {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "province": province,
        "provinces": places.provinces_list(),
        "error": error,
    }
    return render(request, "web/news/list.html", context, status=400 if error and raw else 200)


@require_GET
def news_detail(request: HttpRequest, announcement_id: int) -> HttpResponse:
    item = selectors.news_get_published(announcement_id)
    return render(request, "web/news/detail.html", {"item": item})
