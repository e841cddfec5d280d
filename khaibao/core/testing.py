"""Helpers the test suite configures by dotted path (never used by a running site)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import connections
from django.test.client import Client, ClientHandler

from khaibao.core.lanes import api_middleware, is_api_path, load_lane_middleware


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with toy costs: same algorithm and hash format, ~1 ms instead of ~0.5 s.

    Building the demo world hashes seven staff passwords and the lockout tests make dozens of
    attempts; with production costs that alone would take tens of seconds.
    """

    time_cost = 1
    memory_cost = 64
    parallelism = 1


class _ApiClientHandler(ClientHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        load_lane_middleware(self, api_middleware(), is_async=is_async)


class ApiLaneClient(Client):
    """Django's test client whose API requests take the API lane with its own middleware
    (khaibao/core/lanes.py), as in production; other paths take the pages' lane."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site_handler = self.handler
        self.api_handler = _ApiClientHandler(self.handler.enforce_csrf_checks)

    def request(self, **request: Any) -> Any:
        self.handler = self.api_handler if is_api_path(request.get("PATH_INFO", "")) else self.site_handler
        return super().request(**request)


T = TypeVar("T")


def at_once(calls: Sequence[Callable[[], T]], *, timeout: float = 30) -> list[T]:
    """Run each of `calls` in a thread of its own, all released at the same instant (a barrier), and
    return what they returned, in the order they finished: the races of concurrent retries. Each
    thread closes its database connections (a transactional test's other threads need their own)."""
    barrier = threading.Barrier(len(calls))
    answers: list[T] = []

    def run(call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=10)
            answers.append(call())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return answers


def cursor_pages(client: Any, url: str, *, items: str, max_pages: int = 20) -> tuple[list[int], list[dict[str, Any]]]:
    """Follow an API list's `next_cursor` from `url` (core/keyset.py pages): the ids of every row
    under `items`, in the order served, and each page's body. Fails when a page is not 200 or the
    pages never end (a cursor that leads nowhere new would loop for ever)."""
    ids: list[int] = []
    pages: list[dict[str, Any]] = []
    joiner = "&" if "?" in url else "?"
    resp = client.get(url)
    for _page in range(max_pages):
        assert resp.status_code == 200, resp.content
        body = resp.json()
        pages.append(body)
        ids += [row["id"] for row in body[items]]
        if body["next_cursor"] is None:
            return ids, pages
        resp = client.get(f"{url}{joiner}cursor={body['next_cursor']}")
    raise AssertionError("the pages never end")


def api_pages(client: Any, path: str, *, most: int = 20, **params: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """Every page of an API list answered as a bare array (api.schemas `keyset_headers`), following
    `X-Next-Cursor` from `path` with `params`: the rows served, in order, and each page's response.
    Fails when a page is not a 200 or the pages do not end within `most`."""
    rows: list[dict[str, Any]] = []
    pages: list[Any] = []
    cursor = None
    for _page in range(most):
        resp = client.get(path, data={**params, **({"cursor": cursor} if cursor else {})})
        assert resp.status_code == 200, resp.content
        pages.append(resp)
        rows += resp.json()
        cursor = resp.headers.get("X-Next-Cursor")
        if not cursor:
            return rows, pages
    raise AssertionError("the pages never end")
