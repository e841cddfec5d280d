"""A NUL character in a list endpoint's query text is refused as the caller's mistake — a 400
naming the parameter — before it reaches the database: PostgreSQL refuses NUL in any text, even
a query's parameter, so it was a 500 there (security review, finding 3; api.schemas.QuerySchema).
SQLite takes NUL, so these tests assert the refusal itself, which holds on both. A cursor was
refused already as a page link not made here; it is now refused as text first, like the rest."""

from __future__ import annotations

from typing import Any

import pytest

INVALID_EN = "This text contains an invalid character. Please type it again."

# (who may call it, the endpoint, its text parameter); None calls without signing in.
ENDPOINTS = [
    ("dpo", "/audit", "actor"),
    ("dpo", "/audit", "action"),
    ("dpo", "/audit", "category"),
    ("ward_official", "/reports/queue", "category"),
    ("ward_official", "/reports/queue", "status"),
    ("ward_official", "/reports/queue", "age"),
    ("ward_official", "/reports/queue", "cursor"),
    ("lan", "/privacy/erasures", "cursor"),
    ("dpo", "/privacy/requests", "cursor"),
    (None, "/news", "cursor"),
]


@pytest.mark.parametrize(("role", "path", "param"), ENDPOINTS)
def test_it_refuses_a_nul_in_query_text(world: Any, api: Any, role: str | None, path: str, param: str) -> None:
    client = api.as_(getattr(world, role)) if role else api
    assert client.get(path).status_code == 200

    resp = client.get(f"{path}?{param}=a%00b", headers={"Accept-Language": "en"})

    assert resp.status_code == 400, resp.content
    error = resp.json()["error"]
    assert error["fields"].get(param) == INVALID_EN, error


def test_it_still_ignores_an_unknown_parameter(world: Any, api: Any) -> None:
    # A client may add its own parameter (a cache buster) to a GET.
    assert api.as_(world.dpo).get("/audit?_=123").status_code == 200
    assert api.get("/news?_=123").status_code == 200
