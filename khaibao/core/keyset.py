"""Keyset pages ("next page" links) for long lists: the one owner of the cursor.

A list's queryset carries its own order, which must end with the primary key so that no two
rows tie; a page is the first `limit` rows after the cursor, the cursor names the last row
shown. Unlike an offset, a page stays right while rows are added or removed before it, and the
database seeks to it through the list's index instead of counting the rows it skips.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from operator import or_
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.core.errors import ServiceError
from khaibao.core.params import ID_MAX

T = TypeVar("T", bound=models.Model)
# A page's rows: the models a queryset gave, or rows a selector made of them (venues' CheckInRow).
R = TypeVar("R")

# A cursor holds one value per ordering column: a few names and dates, never this long.
_MAX_CURSOR = 1000


@dataclass(frozen=True)
class KeysetPage(Generic[R]):
    """One page of a list: its rows, the cursor of the next page (None on the last page) and,
    when the caller asked for it, how many rows the whole list has."""

    items: list[R]
    next_cursor: str | None
    total: int | None = None


def _keys(qs: QuerySet[T]) -> list[tuple[models.Field[Any, Any], bool]]:
    order = [o for o in qs.query.order_by if isinstance(o, str)]
    if not order or len(order) != len(qs.query.order_by):
        raise ValueError("A keyset page needs a queryset ordered by field names.")
    meta = qs.model._meta
    keys: list[tuple[models.Field[Any, Any], bool]] = []
    for item in order:
        name = item.lstrip("-")
        try:
            field = meta.pk if name == "pk" else meta.get_field(name)
        except FieldDoesNotExist:
            raise ValueError(f"A keyset page orders by the list's own columns, not {item!r}.") from None
        if not isinstance(field, models.Field) or field.is_relation or field.null:
            raise ValueError(f"A keyset page cannot order by {item!r} (a relation or a nullable column).")
        keys.append((field, item.startswith("-")))
    if keys[-1][0] is not meta.pk:
        raise ValueError("A keyset page's order must end with the primary key, so that no two rows tie.")
    return keys


def _encode(row: models.Model, keys: list[tuple[models.Field[Any, Any], bool]]) -> str:
    values = []
    for field, _desc in keys:
        value = getattr(row, field.attname)
        values.append(value.isoformat() if isinstance(value, date) else value)
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_refused() -> ServiceError:
    """The answer to a page cursor that was not made here (or no longer fits): start again from
    the first page. For the lists whose cursors are their own (a merge of two sources, a queue)."""
    message = _("This page link is not valid any more. Start again from the first page.")
    return ServiceError(message, fields={"cursor": message})


def keyset_cursor(qs: QuerySet[T], row: T) -> str:
    """The cursor of the page that starts after `row` of `qs` (one `keyset_page` served), with no
    query: for a caller that shows only part of a page."""
    return _encode(row, _keys(qs))  # type: ignore[arg-type]


def _decode(cursor: str, keys: list[tuple[models.Field[Any, Any], bool]]) -> list[Any]:
    bad = cursor_refused()
    if len(cursor) > _MAX_CURSOR:
        raise bad
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(raw, list) or len(raw) != len(keys):
        raise bad
    values = []
    for (field, _desc), value in zip(keys, raw, strict=True):
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise bad
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL text cannot hold it: a 500, not a 400
            raise bad
        try:
            value = field.to_python(value)
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise bad from None
        if isinstance(value, datetime) and timezone.is_naive(value):
            raise bad
        if isinstance(value, int) and abs(value) > ID_MAX:
            raise bad
        values.append(value)
    return values


def _after(keys: list[tuple[models.Field[Any, Any], bool]], values: list[Any]) -> Q:
    """The rows after `values` in the order `keys`: (a, b, pk) > (x, y, z) spelled out column by
    column, each in its own direction."""
    clauses = []
    for i, (field, desc) in enumerate(keys):
        equal = {f.name: v for (f, _d), v in zip(keys[:i], values[:i], strict=True)}
        clauses.append(Q(**equal, **{f"{field.name}__{'lt' if desc else 'gt'}": values[i]}))
    return reduce(or_, clauses)


def keyset_page(qs: QuerySet[T], *, cursor: str | None, limit: int, count: bool = False) -> KeysetPage[T]:
    """The first `limit` rows of `qs` after `cursor` (None or "": the first page), in `qs`'s own
    order, which must end with the primary key. With `count`, also the whole list's size — ask
    for it only where a COUNT is cheap (the list's filter is indexed).

    A cursor that was not made here for this order raises ServiceError (a page link to start
    again from the first page)."""
    keys = _keys(qs)
    limit = max(1, int(limit))
    total = qs.order_by().count() if count else None
    if cursor:
        qs = qs.filter(_after(keys, _decode(cursor, keys)))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return KeysetPage(items=rows, next_cursor=_encode(rows[-1], keys) if more and rows else None, total=total)


def keyset_query(params: Mapping[str, Any], cursor: str | None = None, *, name: str = "cursor") -> str:
    """A page link's query string ("?..."): the list's filters as the page was asked for them
    (None as empty, dates as ISO), and the cursor when there is one."""
    query = {
        k: "" if v is None else v.isoformat() if isinstance(v, date) else v for k, v in params.items()
    }
    if cursor:
        query[name] = cursor
    return "?" + urlencode(query)


@dataclass(frozen=True)
class Pager(Generic[R]):
    """A page of a list for a template: the page (None when its link was damaged), what the
    pager links need (`total`, `page_error`, `first_url`, `next_url`) and the answer's status."""

    page: KeysetPage[R] | None
    context: dict[str, Any]
    status: int


def keyset_pager(
    request: Any, fetch: Callable[[str | None], KeysetPage[R]], *, params: Mapping[str, Any] | None = None
) -> Pager[R]:
    """Fetch the page the request's `cursor` names; a damaged cursor gives no page, the keyset's
    message and 400 (the page then offers the first page). `params`: the list's filters, kept
    in the links."""
    cursor = request.GET.get("cursor") or None
    params = params or {}
    try:
        page = fetch(cursor)
    except ServiceError as exc:
        return Pager(None, {"total": None, "page_error": exc.message, "first_url": _first(request, params),
                            "next_url": ""}, 400)
    return Pager(page, {
        "total": page.total, "page_error": "", "first_url": _first(request, params) if cursor else "",
        "next_url": keyset_query(params, page.next_cursor) if page.next_cursor else "",
    }, 200)


def _first(request: Any, params: Mapping[str, Any]) -> str:
    return keyset_query(params) if params else request.path
