"""Fixed-window counters in the Django cache (Redis in production, shared by all app servers).

A cache outage must never become a 500 nor an open door: when the shared cache raises (Redis
down, unreachable, timing out), every call here falls back to a per-process in-memory store and
logs a warning. Limits then hold per process — with N processes an attacker gets at most N× the
budget while the outage lasts, instead of an unlimited one. After a failure the shared cache is
left alone for FALLBACK_SECONDS, so a dead Redis costs one timeout per process, not one per request.

A `flag` (the access tokens' deny-list) is not a counter: losing one reopens a signed-out token.
One the shared cache did not take is kept in `_pending` and written there first thing once it
answers again (`_use`), and `flag` tells its caller, which makes it durable its own way
(accounts/access_tokens.py). From an outage until DENY_LIST_GRACE_SECONDS after it, this process
cannot trust the deny-list it reads (another process's flags may be missing): `deny_list_unsure`.

Nor can any process trust a Redis that restarted empty (redis-py reconnects silently: nothing
fails here). The deny-list's marker, DENY_LIST_MARKER, says it can: `deny_list_rewrite` writes it
with the entries, in one transaction (`flags(..., marker=True)`), for DENY_LIST_MARKER_SECONDS;
it is read with the entries and the counters in the same script, and a read without it makes the
deny-list unsure for that request's keys — the access token is then checked in the database.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any, Final, TypeVar

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import NoScriptError

logger = logging.getLogger(__name__)

FALLBACK_SECONDS = 10
# After an outage the deny-list read here may still miss flags that other processes could only
# keep locally: they are written to Redis when those processes next reach it, and by the
# one-minute `accounts.tasks.deny_list_rewrite` from the database. Two minutes covers that run.
DENY_LIST_GRACE_SECONDS = 120
# The deny-list's marker: present, Redis holds every entry the database knows of (written with
# them by the minute task); missing, Redis restarted empty or from an old snapshot, or no rewrite
# ran for DENY_LIST_MARKER_SECONDS (no worker yet at a cold start, or the worker down): each access
# token is then checked in the database, one query by primary key, until the next rewrite — the
# price of a deny-list nobody can vouch for. Three periods of the task: one late run is no storm;
# an older snapshot's marker has expired by the time it is loaded.
DENY_LIST_MARKER: Final = "deny-list-epoch"
DENY_LIST_MARKER_SECONDS: Final = 180
# The keys of the last deny-list read in this context (thread, task) that found no marker:
# `deny_list_unsure(keys)` asks about the read the caller has just made, without another trip.
_unsure_reads: ContextVar[frozenset[str]] = ContextVar("deny_list_unsure_reads", default=frozenset())
_marker_warned = {"at": 0.0}
_local = LocMemCache("khaibao-ratelimit-fallback", {"TIMEOUT": None, "OPTIONS": {"MAX_ENTRIES": 100_000}})
_state = {"down_until": 0.0}
_lock = threading.Lock()
# Flags the shared cache did not take: key -> wall-clock time the flag ends.
_pending: dict[str, float] = {}

T = TypeVar("T")


def _use(operation: Callable[[Any], T]) -> T:
    """Run `operation` on the shared cache, or on the local store while the shared one is failing."""
    return _run(operation)[0]


def _flush_pending(store: Any) -> None:
    """Write the flags kept locally during an outage to the shared cache, before anything reads it."""
    with _lock:
        pending = dict(_pending)
    now = time.time()
    for key, until in pending.items():
        if until > now:
            store.set(f"rl:{key}", 1, timeout=max(1, int(until - now) + 1))
    with _lock:
        for key in pending:
            if _pending.get(key) == pending[key]:
                del _pending[key]


def _run(operation: Callable[[Any], T]) -> tuple[T, bool]:
    """`operation`'s result, and whether the shared cache ran it (False: the local store did)."""
    if time.monotonic() >= _state["down_until"]:
        try:
            if _pending:
                _flush_pending(cache)
            return operation(cache), True
        except Exception as exc:  # any backend error: connection refused, timeout, auth, OOM
            with _lock:
                _state["down_until"] = time.monotonic() + FALLBACK_SECONDS
            logger.warning(
                "rate-limit cache unavailable (%s: %s); using the per-process fallback for %ss",
                type(exc).__name__,
                exc,
                FALLBACK_SECONDS,
            )
    return operation(_local), False


def fallback_active() -> bool:
    """True while the limiter is counting in this process only (the shared cache failed recently)."""
    return time.monotonic() < _state["down_until"]


def deny_list_unsure(keys: Sequence[str] = ()) -> bool:
    """True from a shared-cache failure in this process until DENY_LIST_GRACE_SECONDS after the
    fallback ends: the deny-list read here may lack flags set elsewhere meanwhile, so an access
    token is checked against the database instead (accounts/tokens.py `access_identity`). True
    too when this context's last read of `keys` (with DENY_LIST_MARKER among them) found no marker."""
    down_until = _state["down_until"]
    if down_until > 0 and time.monotonic() < down_until + DENY_LIST_GRACE_SECONDS:
        return True
    return bool(keys) and set(keys) <= _unsure_reads.get()


def fallback_reset() -> None:
    """Forget the outage and the local counters (tests, or an operator after Redis is back)."""
    _state["down_until"] = 0.0
    _unsure_reads.set(frozenset())
    _local.clear()
    _pending.clear()


def _hit(store: Any, full: str, window_seconds: int) -> int:
    if store.add(full, 1, timeout=window_seconds):
        return 1
    try:
        return int(store.incr(full))
    except ValueError:  # expired between add and incr
        store.add(full, 1, timeout=window_seconds)
        return 1


def hit(key: str, *, window_seconds: int) -> int:
    """Count one event under `key` and return the count within the current window."""
    return _use(lambda store: _hit(store, f"rl:{key}", window_seconds))


def hits_and_counts(
    *, hit: Sequence[str] = (), peek: Sequence[str] = (), window_seconds: int
) -> tuple[list[int], list[int]]:
    """Count one event under each `hit` key and read the `peek` keys' counts, as `hit` and
    `count` would, in one round trip when the shared cache is Redis (one script of INCR,
    EXPIRE NX and GET): every API request checks three limits (api/middleware.py).

    DENY_LIST_MARKER among `peek` reads as 0 (it denies nothing) and records whether it was
    there, for `deny_list_unsure(peek)`."""
    hits, counts = _use(lambda store: _hits_and_counts(store, hit, peek, window_seconds))
    if DENY_LIST_MARKER in peek:
        at = peek.index(DENY_LIST_MARKER)
        _unsure_reads.set(frozenset() if counts[at] else frozenset(peek))
        if not counts[at]:
            _marker_missing_warn()
        counts[at] = 0
    return hits, counts


def _marker_missing_warn() -> None:
    now = time.monotonic()
    if now - _marker_warned["at"] >= 60:  # once a minute per process, not once per request
        _marker_warned["at"] = now
        logger.warning(
            "deny-list marker %s missing (Redis restarted, or deny_list_rewrite has not run for %ss):"
            " access tokens are checked against the database", DENY_LIST_MARKER, DENY_LIST_MARKER_SECONDS,
        )


# What `_hit` and `count` do, for every key at once, run by Redis as one command. It was a pipeline
# of seven (two INCR and EXPIRE NX, three GET): redis-py packing and parsing each command cost
# ~150 µs of CPU per API request, the script ~1/3 of it (bench/RESULTS.md, "Issue 19, the status
# lane"). A script's keys must share a slot on a Redis Cluster; the product runs one Redis
# (docs/operations.md).
_HITS_AND_COUNTS_LUA: Final = """
local hits = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  if i <= hits then
    out[i] = redis.call('INCR', KEYS[i])
    redis.call('EXPIRE', KEYS[i], ARGV[2], 'NX')
  else
    out[i] = redis.call('GET', KEYS[i]) or '0'
  end
end
return out
"""
_HITS_AND_COUNTS_SHA: Final = hashlib.sha1(_HITS_AND_COUNTS_LUA.encode()).hexdigest()  # noqa: S324 - Redis names scripts so


def _hits_and_counts(
    store: Any, hit: Sequence[str], peek: Sequence[str], window_seconds: int
) -> tuple[list[int], list[int]]:
    get_client = getattr(getattr(store, "client", None), "get_client", None)
    if get_client is None:  # not django-redis: one call per key
        hits = [_hit(store, f"rl:{key}", window_seconds) for key in hit]
        # A per-process store (tests, development, the fallback) dies with its process: there is
        # no restart to detect, and an outage is `deny_list_unsure` already. Its marker holds.
        return hits, [1 if key == DENY_LIST_MARKER else int(store.get(f"rl:{key}", 0)) for key in peek]
    # `make_key`, not `make_and_validate_key`: the keys are ours (short, ASCII, no spaces), and the
    # validation only warns about memcached's limits — a scan of every character of every key,
    # on every API request.
    make_key = store.make_key
    keys = [make_key(f"rl:{key}") for key in (*hit, *peek)]
    client = get_client(write=True)
    try:
        results = client.evalsha(_HITS_AND_COUNTS_SHA, len(keys), *keys, len(hit), window_seconds)
    except NoScriptError:  # a Redis that has not seen it yet (started, flushed): sent whole once
        results = client.eval(_HITS_AND_COUNTS_LUA, len(keys), *keys, len(hit), window_seconds)
    # django-redis stores integers unpickled, so `cache.get` reads these counters too.
    return [int(v) for v in results[: len(hit)]], [int(v) for v in results[len(hit):]]


def flag(key: str, *, seconds: int) -> bool:
    """Set `key` for `seconds`: read as a count of 1 by `count` and by `hits_and_counts`'s peeks
    (the access tokens' deny-list is read so, with the API's rate limits, in one round trip).

    True when the shared cache took it. Otherwise it is kept locally and written to the shared
    cache when this process next reaches it; meanwhile other processes do not see it.
    """
    _result, shared = _run(lambda store: store.set(f"rl:{key}", 1, timeout=seconds))
    if not shared:
        with _lock:
            _pending[key] = max(_pending.get(key, 0.0), time.time() + seconds)
    return shared


def flags(keys: list[str], *, seconds: int, marker: bool = False) -> bool:
    """`flag` for many keys in one round trip (the deny-list's rewrite from the database). With
    `marker`, DENY_LIST_MARKER too, in the same Redis transaction: a Redis that restarts during
    the write holds the marker only with every entry, or neither. The marker is never kept
    locally: a process that could not write it is `deny_list_unsure` anyway."""
    if not keys and not marker:
        return True
    _result, shared = _run(lambda store: _flags(store, keys, seconds, marker))
    if not shared:
        with _lock:
            until = time.time() + seconds
            for key in keys:
                _pending[key] = max(_pending.get(key, 0.0), until)
    return shared


def _flags(store: Any, keys: list[str], seconds: int, marker: bool) -> None:
    get_client = getattr(getattr(store, "client", None), "get_client", None)
    if get_client is None:  # not django-redis: the marker is not read there (`_hits_and_counts`)
        store.set_many({f"rl:{key}": 1 for key in keys}, timeout=seconds)
        return
    make_key = store.make_key
    pipe = get_client(write=True).pipeline(transaction=True)  # MULTI … EXEC, one round trip
    for key in keys:
        pipe.set(make_key(f"rl:{key}"), 1, ex=seconds)
    if marker:
        pipe.set(make_key(f"rl:{DENY_LIST_MARKER}"), int(time.time()), ex=DENY_LIST_MARKER_SECONDS)
    pipe.execute()


def count(key: str) -> int:
    return int(_use(lambda store: store.get(f"rl:{key}", 0)))


def reset(key: str) -> None:
    _use(lambda store: store.delete(f"rl:{key}"))


def block(key: str, *, seconds: int) -> None:
    _use(lambda store: store.set(f"block:{key}", 1, timeout=seconds))


def is_blocked(key: str) -> bool:
    return bool(_use(lambda store: store.get(f"block:{key}") is not None))


def unblock(key: str) -> None:
    _use(lambda store: store.delete(f"block:{key}"))


def remember_once(key: str, *, seconds: int) -> bool:
    """True the first time `key` is seen within `seconds`, False after (single-use proofs)."""
    return bool(_use(lambda store: store.add(f"once:{key}", 1, timeout=seconds)))
