"""Every bad body gets the API's JSON error, on every route of the OpenAPI schema (issue 18, item 3).

Malformed multipart, a multipart body without its boundary, an oversize body (413) and a body of a
type the route does not take (415): sent to every operation the schema lists, anonymous and with a
citizen's and an official's token, DEBUG on and off. Each answer is the error format of
`core.http.error_response` — never a 500, never an HTML page — and nothing is written.

The checks run before routing and authentication (`api.bodies.api_body_refusal`), so the ids in the
paths need not exist: the answer is the same for every caller.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from khaibao.api import bodies
from khaibao.audit.models import AuditEvent
from khaibao.core.models import IdempotencyRecord
from khaibao.security_suite.routes import api_routes

_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_ROUTES = [r for r in api_routes() if r.method in _BODY_METHODS]


def _url(pattern: str) -> str:
    return re.sub(r"\{(?:\w+:)?(\w+)\}", lambda m: "2026-01-05" if m.group(1) == "day" else "1", pattern)


def _multipart(boundary: str, fields: dict[str, str]) -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def _schema_content_types() -> dict[str, set[str]]:
    from khaibao.api.v1 import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    found: dict[str, set[str]] = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            found[f"{method.upper()} {path}"] = set(body["content"]) if body else set()
    return found


def _assert_error(resp: Any, status: int, code: str) -> None:
    assert resp.status_code == status, (resp.status_code, resp.content[:300])
    assert resp["Content-Type"].startswith("application/json"), resp["Content-Type"]
    error = resp.json()["error"]
    assert error["code"] == code, error
    assert error["message"]


def _callers(sec: Any) -> list[tuple[str, dict[str, str]]]:
    return [("anonymous", {})] + [
        (role, {"Authorization": f"Bearer {sec.token(role)}"}) for role in ("citizen_owner", "ward_official")
    ]


def _bad_bodies(route_key: str) -> list[tuple[str, str, bytes, int, str]]:
    """(name, content type, body, status, code) for one route."""
    method, pattern = route_key.split(" ", 1)
    takes_multipart = bodies.takes_multipart(_url(pattern), method)
    limit = bodies.body_limit(_url(pattern), method, multipart=False)
    cases = [
        ("no boundary", "multipart/form-data", _multipart("xyz", {"a": "1"}), 400, "malformed_multipart"),
        ("empty boundary", "multipart/form-data; boundary=", _multipart("xyz", {"a": "1"}), 400, "malformed_multipart"),
        ("bad boundary", "multipart/form-data; boundary=\"a b\"\x7f", b"--x\r\n", 400, "malformed_multipart"),
        (
            # A file part whose base64 is cut short: the parser gives up on it.
            "broken part",
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n'
            b"Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\nabcde\r\n--xyz--\r\n",
            400 if takes_multipart else 415,
            "malformed_multipart" if takes_multipart else "unsupported_media_type",
        ),
        ("oversize json", "application/json", b'{"a": "' + b"x" * (limit + 10) + b'"}', 413, "body_too_large"),
        ("text", "text/plain", b"hello", 415, "unsupported_media_type"),
        ("xml", "application/xml", b"<a/>", 415, "unsupported_media_type"),
        ("form", "application/x-www-form-urlencoded", b"a=1", 415, "unsupported_media_type"),
    ]
    if not takes_multipart:
        # A well-formed multipart body to a route that reads JSON is of the wrong type too.
        cases.append(
            ("multipart to json", "multipart/form-data; boundary=xyz", _multipart("xyz", {"a": "1"}), 415,
             "unsupported_media_type")
        )
    else:
        big = _multipart("xyz", {"a": "x" * (bodies.body_limit(_url(pattern), method, multipart=True) + 10)})
        cases.append(("oversize multipart", "multipart/form-data; boundary=xyz", big, 413, "body_too_large"))
    return cases


def test_it_knows_which_routes_take_multipart_from_the_schema():
    # The body checks' table (api/bodies.py) and the schema must say the same thing.
    for key, types in _schema_content_types().items():
        method, path = key.split(" ", 1)
        assert bodies.takes_multipart(_url(path), method) == ("multipart/form-data" in types), key


def test_it_documents_what_post_reports_takes():
    assert _schema_content_types()["POST /api/v1/reports"] == {"application/json", "multipart/form-data"}


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
def test_it_answers_every_bad_body_with_the_json_error_on_every_route(sec, settings, debug):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    counts = (AuditEvent.objects.count(), IdempotencyRecord.objects.count())
    failures: list[str] = []
    for route in _ROUTES:
        url = _url(route.pattern)
        for caller, headers in _callers(sec):
            for name, content_type, body, status, code in _bad_bodies(route.key):
                resp = client.generic(
                    route.method, url, body, content_type=content_type,
                    headers={**headers, "Idempotency-Key": f"bad-{name}"},
                )
                try:
                    _assert_error(resp, status, code)
                except AssertionError as exc:
                    failures.append(f"{route.key} as {caller}, {name}: {exc}")
    assert not failures, "\n".join(failures[:40]) + f"\n… {len(failures)} in all"
    assert (AuditEvent.objects.count(), IdempotencyRecord.objects.count()) == counts


def test_it_answers_a_ten_megabyte_anonymous_report_with_413(db, settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    body = b'{"description": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    resp = client.post("/api/v1/reports", body, content_type="application/json")
    _assert_error(resp, 413, "body_too_large")


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
@pytest.mark.parametrize("path", ["/api/v1/reports", "/api/v1/orgs/1/roster"])
def test_it_answers_multipart_without_boundary_with_400_not_500(db, settings, debug, path):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    resp = client.post(path, b"--x\r\n\r\n", content_type="multipart/form-data")
    _assert_error(resp, 400, "malformed_multipart")


def test_it_still_takes_a_good_multipart_report(db):
    from khaibao.reports.tests.helpers import report_body, solve_pow

    client = Client()
    fields = {k: str(v) for k, v in report_body().items()}
    fields["pow"] = solve_pow(client)
    resp = client.post("/api/v1/reports", fields)  # the test client encodes multipart with a boundary
    assert resp.status_code == 201, resp.content
