"""Reads of official information: the public feed, one item, and what an official may edit."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account, Role, ScopeLevel
from khaibao.core.errors import ServiceError
from khaibao.core.params import id_in_range
from khaibao.news.models import Announcement
from khaibao.people.models import HouseholdMembership
from khaibao.places.models import Province
from khaibao.places.selectors import in_reading_order, province_of


def _published_q(now: datetime) -> Q:
    return Q(publish_at__lte=now) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def _audience_q(province_code: int | None) -> Q:
    if province_code is None:
        return Q(province__isnull=True)
    return Q(province__isnull=True) | Q(province_id=province_code)


def news_feed(*, province_code: int | None = None, now: datetime | None = None) -> QuerySet[Announcement]:
    """Published, unexpired items for the whole country plus, if given, one province's.

    Pinned items first, then the newest by publish time (ties broken by id, newest first).
    """
    now = now or timezone.now()
    return (
        Announcement.objects.filter(_published_q(now) & _audience_q(province_code))
        .select_related("province")
        .order_by("-pinned", "-publish_at", "-id")
    )


@dataclass(frozen=True)
class Page:
    items: list[Announcement]
    next_cursor: str | None


def _encode_cursor(item: Announcement) -> str:
    raw = f"{int(item.pinned)}|{item.publish_at.isoformat()}|{item.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[bool, datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        pinned, at, pk = raw.split("|")
        when = datetime.fromisoformat(at)
        if pinned not in {"0", "1"} or timezone.is_naive(when) or not id_in_range(int(pk)):
            raise ValueError(raw)
        return pinned == "1", when, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        message = _("This cursor is not valid: use the next_cursor of the previous page.")
        raise ServiceError(message, code="invalid", fields={"cursor": message}) from exc


def news_feed_page(
    *, province_code: int | None = None, cursor: str | None = None, limit: int = 20
) -> Page:
    """One page of `news_feed` by keyset (pinned, publish_at, id): stable while items are added."""
    qs = news_feed(province_code=province_code)
    if cursor:
        pinned, at, pk = _decode_cursor(cursor)
        after = Q(pinned=pinned, publish_at=at, id__lt=pk) | Q(pinned=pinned, publish_at__lt=at)
        if pinned:
            after |= Q(pinned=False)
        qs = qs.filter(after)
    items = list(qs[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return Page(items=items, next_cursor=_encode_cursor(items[-1]) if more and items else None)


def news_get_published(announcement_id: int) -> Announcement:
    """A published, unexpired item of any audience, else Http404 (scheduled and withdrawn look missing)."""
    if not id_in_range(announcement_id):
        raise Http404
    item = (
        Announcement.objects.filter(_published_q(timezone.now()), pk=announcement_id)
        .select_related("province")
        .first()
    )
    if item is None:
        raise Http404
    return item


def province_for_feed(code: int | None) -> Province | None:
    """The province a feed is asked for; ServiceError on an unknown code."""
    if code is None:
        return None
    province = province_of(code)
    if province is None:
        message = _("Unknown province code.")
        raise ServiceError(message, code="invalid", fields={"province": message})
    return province


def citizen_home_province_code(account: Any) -> int | None:
    """The province of the citizen's own ("self") person's home ward, if they added themselves."""
    if account is None or not getattr(account, "is_authenticated", False) or account.role != Role.CITIZEN:
        return None
    return (
        HouseholdMembership.objects.filter(owner=account, relation="self")
        .values_list("person__home_ward__province_id", flat=True)
        .first()
    )


# --- Officials -------------------------------------------------------------------------------


def can_publish_news(account: Any) -> bool:
    """National and province officials publish; ward officials and every other role do not."""
    return (
        account is not None
        and getattr(account, "is_authenticated", False)
        and account.is_active
        and account.role == Role.OFFICIAL
        and (
            account.scope_level == ScopeLevel.NATIONAL
            or (account.scope_level == ScopeLevel.PROVINCE and account.scope_province_id is not None)
        )
    )


def require_publisher(account: Any) -> None:
    """ServiceError 403 unless `account` may publish at all (the console and API say why)."""
    if not can_publish_news(account):
        raise ServiceError(
            _("Only national and province health officials publish official information."),
            code="forbidden",
            status=403,
        )


def may_publish_for(account: Account, province_code: int | None) -> bool:
    """Whether `account` may address the whole country (None) or this province."""
    if not can_publish_news(account):
        return False
    if account.scope_level == ScopeLevel.NATIONAL:
        return True
    return province_code is not None and province_code == account.scope_province_id


def news_editable(account: Account) -> QuerySet[Announcement]:
    """Every item `account` may edit, whatever its state: all for national officials, their
    province's for province officials, none for anyone else. Newest first."""
    if not can_publish_news(account):
        return Announcement.objects.none()
    qs = Announcement.objects.select_related("province")
    if account.scope_level != ScopeLevel.NATIONAL:
        qs = qs.filter(province_id=_own_province(account))
    return qs.order_by("-created_at", "-id")


def access_announcement_for_editor(account: Account, announcement_id: int) -> Announcement:
    """An item `account` may edit, else Http404 — the same answer for missing and not-yours."""
    if not id_in_range(announcement_id):
        raise Http404
    item = news_editable(account).filter(pk=announcement_id).first()
    if item is None:
        raise Http404
    return item


def publishable_provinces(account: Account) -> list[Province]:
    """The provinces `account` may address, in reading order (national officials may also choose
    the whole country)."""
    if not can_publish_news(account):
        return []
    if account.scope_level == ScopeLevel.NATIONAL:
        return in_reading_order(Province.objects.all())
    return list(Province.objects.filter(pk=_own_province(account)))


def _own_province(account: Account) -> int:
    # can_publish_news() guarantees a province official has one.
    code = account.scope_province_id
    assert code is not None
    return code
