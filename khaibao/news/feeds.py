"""The Atom 1.0 feed of official information: /news/feed.atom?province=<code>."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from khaibao.core.errors import ServiceError
from khaibao.news import selectors
from khaibao.news.models import Announcement
from khaibao.places.models import Province

FEED_ITEMS = 50


class NewsAtomFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Province | None:
        raw = request.GET.get("province", "").strip()
        if not raw:
            return None
        try:
            return selectors.province_for_feed(int(raw))
        except (ValueError, ServiceError) as exc:
            # A feed reader cannot show a form error; an unknown province is simply not a feed.
            raise Http404 from exc

    def title(self, obj: Province | None) -> str:
        if obj is None:
            return _("Khai Báo — official information")
        return _("Khai Báo — official information for %(province)s") % {"province": obj.name}

    def subtitle(self, obj: Province | None) -> str:
        return _("Announcements, recommendations and hotlines from the health authorities.")

    def link(self, obj: Province | None) -> str:
        url = reverse("web:news")
        return f"{url}?province={obj.pk}" if obj is not None else url

    def items(self, obj: Province | None) -> list[Announcement]:
        return list(selectors.news_feed(province_code=obj.pk if obj else None)[:FEED_ITEMS])

    def item_title(self, item: Announcement) -> str:
        return item.display_title

    def item_description(self, item: Announcement) -> str:
        # Already sanitised by nh3 when it was saved; the feed carries it as type="html".
        html = item.display_body_html
        if item.phone:
            html = f'<p><a href="tel:{item.phone}" rel="noopener">{item.phone_display}</a></p>' + html
        return html

    def item_link(self, item: Announcement) -> str:
        return reverse("web:news_detail", args=[item.pk])

    def item_pubdate(self, item: Announcement) -> datetime:
        return item.publish_at

    def item_updateddate(self, item: Announcement) -> datetime:
        return item.updated_at

    def item_author_name(self, item: Announcement) -> str:
        return item.province.name if item.province else _("Ministry of Health")

    def item_categories(self, item: Announcement) -> list[str]:
        return [item.kind]
