"""The HTTP server's own floor: a bare WSGI application, no Django (bench/load.py, reference)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

BODY = b'{"hello": "world"}'


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]
