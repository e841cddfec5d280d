"""The machine's Redis for the tests that need the real thing (the deny-list's round trips, an
outage, a restart): each test under a prefix of its own, so that deleting its keys never touches
another test's, and a count of the round trips a request makes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis


def redis_caches(db: int, prefix: str) -> dict[str, Any]:
    """CACHES for Redis database `db` under a fresh prefix starting with `prefix`."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:6379/{db}",
            "KEY_PREFIX": f"{prefix}-{uuid.uuid4().hex}",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }


def redis_trips_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that gets one entry per Redis round trip from now on: the command, or "pipeline of N"."""
    trips: list[str] = []
    command, pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def counted_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(str(args[0]))
        return command(self, *args, **kwargs)

    def counted_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(f"pipeline of {len(self.command_stack)}")
        return pipeline(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counted_command)
    monkeypatch.setattr(redis.client.Pipeline, "execute", counted_pipeline)
    return trips
