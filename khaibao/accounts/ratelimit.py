"""Fixed-window counters in the Django cache (Redis in production, shared by all app servers)."""

from __future__ import annotations

from django.core.cache import cache


def hit(key: str, *, window_seconds: int) -> int:
    """Count one event under `key` and return the count within the current window."""
    full = f"rl:{key}"
    if cache.add(full, 1, timeout=window_seconds):
        return 1
    try:
        return int(cache.incr(full))
    except ValueError:  # expired between add and incr
        cache.add(full, 1, timeout=window_seconds)
        return 1


def count(key: str) -> int:
    return int(cache.get(f"rl:{key}", 0))


def reset(key: str) -> None:
    cache.delete(f"rl:{key}")


def block(key: str, *, seconds: int) -> None:
    cache.set(f"block:{key}", 1, timeout=seconds)


def is_blocked(key: str) -> bool:
    return cache.get(f"block:{key}") is not None


def unblock(key: str) -> None:
    cache.delete(f"block:{key}")
