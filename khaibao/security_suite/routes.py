"""Every route the site answers, found from the URL resolver and the API's OpenAPI schema.

The authorisation matrix and the marker crawl both start here, so a route added anywhere
(a page in urls.py, an endpoint on a ninja router) is seen by the suite without anyone
remembering to list it — and the matrix fails until the route is classified.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/v1"
# Whole subtrees the matrix treats as one route: the Django admin (hundreds of generated
# model pages, all behind is_staff) and the language switch (no data).
OPAQUE_PREFIXES = ("/admin/", "/i18n/")


@dataclass(frozen=True)
class Route:
    kind: str  # "page" or "api"
    method: str  # "GET" for pages' reads; API methods from the schema; "POST" for page forms
    pattern: str  # "/people/<int:person_id>/" or "/api/v1/people/{person_id}"

    @property
    def key(self) -> str:
        return f"{self.method} {self.pattern}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>|\{(?:int:)?(\w+)\}", self.pattern) and [
            a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\{(?:int:)?(\w+)\}", self.pattern)
        ]

    def url(self, values: dict[str, Any]) -> str:
        def sub(match: re.Match[str]) -> str:
            return str(values[match.group(1) or match.group(2)])

        return re.sub(r"<(?:\w+:)?(\w+)>|\{(?:int:)?(\w+)\}", sub, self.pattern)


def _walk(patterns: list[Any], prefix: str) -> Iterator[str]:
    for entry in patterns:
        here = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if ("/" + here).startswith(API_PREFIX + "/"):
                continue  # the API is enumerated from its schema, with methods
            if any(("/" + here).startswith(p) for p in OPAQUE_PREFIXES):
                yield "/" + here
                continue
            yield from _walk(entry.url_patterns, here)
        elif isinstance(entry, URLPattern):
            yield "/" + here


def page_patterns() -> list[str]:
    """Every page pattern outside the API, in Django's `<int:name>` syntax."""
    seen: list[str] = []
    for pattern in _walk(get_resolver().url_patterns, ""):
        cleaned = pattern.replace("^", "").replace("$", "")
        if cleaned not in seen:
            seen.append(cleaned)
    return seen


def api_routes() -> list[Route]:
    """Every operation the OpenAPI schema documents, with its method."""
    from khaibao.api.v1 import api

    schema = api.get_openapi_schema(path_prefix=API_PREFIX)
    return [
        Route("api", method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    ]


def all_routes() -> list[Route]:
    """Pages as GET and POST (a page may answer either), and every API operation."""
    routes = [Route("page", method, pattern) for pattern in page_patterns() for method in ("GET", "POST")]
    return routes + api_routes()
