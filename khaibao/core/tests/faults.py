"""Test helpers for failures: a call that fails once with the database's lock timeout, and the rate
limiter's process-local counters reset around a test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError

from khaibao.accounts import ratelimit


def fails_once(real: Callable[..., Any]) -> Callable[..., Any]:
    """`real`, except that its first call raises OperationalError (a lock timeout: a 503 to retry)."""
    calls = {"n": 0}

    def flaky(**kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("canceling statement due to lock timeout")
        return real(**kw)

    return flaky


@pytest.fixture
def fresh_limiter() -> Iterator[None]:
    ratelimit.fallback_reset()
    yield
    ratelimit.fallback_reset()
