from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplicaStatus:
    configured: bool  # DATABASE_REPLICA_URL is set
    reachable: bool = False
    lag_seconds: float | None = None  # None: unknown (never replayed anything)
    as_of: datetime | None = None  # the primary's data up to this moment is on the replica
    warning: bool = False  # lag above REPLICA_LAG_WARNING_SECONDS, or unreachable
    usable: bool = False  # reachable and at most REPLICA_MAX_LAG_SECONDS behind: reads may go there

    @property
    def lag_whole_seconds(self) -> int:
        return round(self.lag_seconds or 0)


_REPLICA_LAG_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),
       pg_last_xact_replay_timestamp(),
       now()
"""


def replica_status() -> ReplicaStatus:
    """How far the read replica is behind the primary, measured on the replica.

    The lag is `now() - pg_last_xact_replay_timestamp()` — except that a standby which is
    streaming and has replayed all it received is up to date (lag 0) even when the primary has
    been idle for a while, which that difference alone would report as a growing lag. A server
    that is not in recovery (the URL points at a primary) has no lag. Unreachable: reachable
    False, warning True. No replica configured: configured False. The clocks of the two
    servers are assumed in sync (NTP), as for any timestamp-based lag.
    """
    from khaibao.core.dbrouter import REPLICA, replica_configured

    if not replica_configured():
        return ReplicaStatus(configured=False)
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(_REPLICA_LAG_SQL)
            in_recovery, streaming, replayed_all, replayed_at, now = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("read replica unreachable: %s", type(exc).__name__)
        connections[REPLICA].close()
        return ReplicaStatus(configured=True, reachable=False, warning=True)
    if not in_recovery or (streaming and replayed_all):
        lag, as_of = 0.0, now
    elif replayed_at is None:
        lag, as_of = None, None
    else:
        lag, as_of = max(0.0, (now - replayed_at).total_seconds()), replayed_at
    warning = lag is None or lag > settings.REPLICA_LAG_WARNING_SECONDS
    # Nothing replayed yet since the standby started (lag unknown): usable, it is catching up.
    usable = lag is None or lag <= settings.REPLICA_MAX_LAG_SECONDS
    return ReplicaStatus(
        configured=True, reachable=True, lag_seconds=lag, as_of=as_of, warning=warning, usable=usable
    )
