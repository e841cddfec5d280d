from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.renderers import JSONRenderer
from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator

from khaibao.core.keyset import KeysetPage, keyset_query
from khaibao.core.params import CODE_MAX, ID_MAX, date_in_range, date_range_message


def text_is_storable(value: str) -> bool:
    """Whether `value` can be stored and searched: written as UTF-8 (JSON's "\\ud800" escape gives
    Python a lone surrogate, which every encoder — the database's, the log's, the answer's —
    refuses) and without a NUL character, which PostgreSQL refuses in any text, even a query's
    parameter (a 500 there, while SQLite takes it: security review, finding 3)."""
    if "\x00" in value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(value: Any) -> bool:
    """`text_is_storable` over a value as JSON gives it: text, and the keys and items of objects
    and lists, however nested."""
    if isinstance(value, str):
        return text_is_storable(value)
    if isinstance(value, Mapping):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_storable(v) for v in value)
    return True


def _unstorable_text() -> ValueError:
    return ValueError(_("This text contains an invalid character. Please type it again."))


class StrictSchema(Schema):
    """Request bodies refuse unknown fields: a typo must not be silently ignored.

    And text that cannot be stored (a lone surrogate) in any field, nested or not: a 400 naming
    the field, for every input schema at once, instead of a 500 wherever it is first encoded.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _field_names_storable(cls, data: Any) -> Any:
        # An unknown field's name is echoed in the error answer: it must be encodable too.
        if isinstance(data, Mapping) and not all(_storable(k) for k in data):
            raise _unstorable_text()
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _text_storable(cls, value: Any) -> Any:
        if not _storable(value):
            raise _unstorable_text()
        return value


class QuerySchema(Schema):
    """A query string's parameters: `StrictSchema`'s storable-text check (a NUL in a search term
    is a 400 naming the parameter, not a 500 on PostgreSQL), but unknown parameters are ignored —
    a client may add its own (a cache buster) to a GET."""

    @field_validator("*", mode="before")
    @classmethod
    def _text_storable(cls, value: Any) -> Any:
        if not _storable(value):
            raise _unstorable_text()
        return value


def _date_in_range(value: date) -> date:
    if not date_in_range(value):
        raise ValueError(date_range_message())
    return value


def _aware_in_range(value: datetime) -> datetime:
    # The range first: a year-1 time moved to Viet Nam's zone, or a year-9999 one moved to UTC,
    # overflows.
    if not date_in_range(value):
        raise ValueError(date_range_message())
    # A time without an offset is Viet Nam's time (docs/api.md), whatever zone a request activated.
    return timezone.make_aware(value, timezone.get_default_timezone()) if timezone.is_naive(value) else value


# Every date of a request (body or query): between core.params.DATE_MIN and date_max().
ApiDate = Annotated[date, AfterValidator(_date_in_range)]
# Every date and time of a request: aware (Asia/Ho_Chi_Minh when sent without an offset; a bare
# date is its midnight there), its date in ApiDate's range.
ApiDateTime = Annotated[datetime, AfterValidator(_aware_in_range)]
# An id of a request: one a row can have (a larger one overflows the query).
ApiId = Annotated[int, Field(ge=1, le=ID_MAX)]
# A ward or province code of a request (an IntegerField key).
PlaceCode = Annotated[int, Field(ge=1, le=CODE_MAX)]


class ErrorDetail(Schema):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(Schema):
    error: ErrorDetail


def json_answer(request: HttpRequest, payload: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """`payload` as the API renders an answer (ninja's JSON renderer: the same bytes), without
    validating it against the operation's response schema first.

    For the hot reads and writes only (the status read, the daily update): their payload is built
    field by field from typed values, in the schema's order, and that pydantic round trip was
    about a tenth of their CPU (bench/RESULTS.md, "Issue 19, fourth pass"). The operation still
    declares its schema, so the OpenAPI document is unchanged; `api/tests/test_answers.py` checks
    each such answer against it, byte for byte.
    """
    return HttpResponse(json_render(request, payload, status=status), status=status, content_type=JSON_CONTENT_TYPE)


def json_render(request: HttpRequest, payload: dict[str, Any], *, status: int = 200) -> bytes:
    """The bytes of `json_answer`'s body (for an answer also stored, e.g. under an Idempotency-Key)."""
    return _RENDERER.render(request, payload, response_status=status).encode()


_RENDERER = JSONRenderer()
# The Content-Type of every JSON answer of the API.
JSON_CONTENT_TYPE = f"{JSONRenderer.media_type}; charset={JSONRenderer.charset}"


def keyset_headers(
    response: HttpResponse, request: HttpRequest, page: KeysetPage[Any], *, params: Mapping[str, Any],
) -> None:
    """Where the next page of a list answered as a bare JSON array is (the array stays, for the
    clients written against it): `X-Next-Cursor` to pass as `cursor` and `Link: <…>; rel="next"`,
    both absent on the last page, and `X-Total-Count`, the whole list's size."""
    if page.next_cursor:
        response["X-Next-Cursor"] = page.next_cursor
        response["Link"] = f'<{request.path}{keyset_query(params, page.next_cursor)}>; rel="next"'
    if page.total is not None:
        response["X-Total-Count"] = str(page.total)
