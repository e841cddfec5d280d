from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Schema
from ninja.renderers import JSONRenderer
from pydantic import ConfigDict

from khaibao.core.keyset import KeysetPage, keyset_query


class StrictSchema(Schema):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")


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
