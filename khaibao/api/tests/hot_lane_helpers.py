"""What the hot lane's tests share: they compare the lane's answers with ninja's."""

from __future__ import annotations

from typing import Any

from ninja.operation import Operation

from khaibao.accounts.access_tokens import session_start
from khaibao.core.errors import ServiceError


def signed(api: Any, account: Any) -> Any:
    """An API client of `account` with a signed access token (decision 0008 B)."""
    return type(api)(token=session_start(account=account).access_token)


class NinjaRuns:
    """Counts ninja operations run (the lane's requests must not reach one)."""

    def __init__(self, monkeypatch: Any) -> None:
        self.count = 0
        original = Operation.run

        def run(operation: Any, request: Any, **kw: Any) -> Any:
            self.count += 1
            return original(operation, request, **kw)

        monkeypatch.setattr(Operation, "run", run)


def same_answer(lane: Any, ninja: Any) -> None:
    """The same status, bytes and headers."""
    assert lane.status_code == ninja.status_code
    assert lane.content == ninja.content
    assert sorted(lane.headers.items()) == sorted(ninja.headers.items())


def refuse(*args: Any, **kw: Any) -> Any:
    """Stands in for a view's function that fails: the API's handlers must answer its 409."""
    raise ServiceError("no", code="refused", status=409)
