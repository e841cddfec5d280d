"""The statistics refresh at national size: a run counts the rows written since the last one.

    .venv/bin/python bench/stats_refresh.py --db postgres://root@127.0.0.1:5432/khaibao_stats --runs 3

On a database made by bench/generate.py (`make bench-stats` makes one: 400,000 people, 600,000
daily updates a day over two days). In one process, per run:

* **reference**: yesterday and today recounted from nothing — what every 30-second run did before
  it counted increments (`rollup_refresh(days=[yesterday, today])`);
* **idle run**: the periodic run with nothing new — its fixed part (the stock snapshot over the
  status rows, the follow-up counts, the rollup rows read and compared);
* **busy runs**: the periodic run after `--changed` of today's updates were written again since the
  last (3,500: 30 s of 10 M updates a day) and ten times that (a rush); each is a replaced update,
  the dearer case (what its earlier version added is taken back first).

Printed: seconds, each run's ratio to the reference, the cost per changed row, and the stock
snapshot's own time — it grows with the people, not with the updates (docs/scaling.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/khaibao_stats"


def setup(db: str) -> None:
    os.environ["DATABASE_URL"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare() -> None:
    """Make the generated days look like days that happened: bench/generate.py spreads each day's
    updates over all its 24 hours, so today's include times still to come (every run would read
    them as "written since"), in no order on disk. Here no update is later than 10 minutes ago and
    the rows lie in the order they were written, as the hot path appends them; then vacuum and
    analyse, as autovacuum would have."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE monitoring_dailyupdate SET updated_at = now() - interval '10 minutes'"
            " WHERE updated_at > now() - interval '10 minutes'"
        )
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'monitoring_dailyupdate'::regclass"
        )
        partitions = [name for (name,) in cursor.fetchall()]
        for name in partitions:
            cursor.execute(f'CREATE INDEX IF NOT EXISTS bench_by_time ON "{name}" (updated_at)')
            cursor.execute(f'CLUSTER "{name}" USING bench_by_time')
            cursor.execute("DROP INDEX bench_by_time")
    connection.connection.autocommit = True  # VACUUM cannot run inside a transaction
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE monitoring_dailyupdate")
        cursor.execute("VACUUM ANALYZE stats_countedrow")


def touch(n: int) -> None:
    """Write `n` of today's daily updates again, as a replacing PUT would (a new `updated_at`)."""
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE monitoring_dailyupdate SET updated_at = %s WHERE id IN"
            " (SELECT id FROM monitoring_dailyupdate WHERE day = %s ORDER BY random() LIMIT %s)",
            [timezone.now(), timezone.localdate(), n],
        )


def timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("STATS_DB", DEFAULT_DB))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--changed", type=int, default=3500)
    args = parser.parse_args()
    setup(args.db)

    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from khaibao.monitoring.models import DailyUpdate, PersonStatus
    from khaibao.stats import services
    from khaibao.stats.models import CountedRow

    prepare()
    today = timezone.localdate()
    days = [today - timedelta(days=1), today]
    people = PersonStatus.objects.count()
    updates = {str(d): DailyUpdate.objects.filter(day=d).count() for d in days}
    print(f"{people:,} status rows; daily updates {updates}", flush=True)

    rows: dict[str, list[float]] = {}

    def record(label: str, seconds: float) -> None:
        rows.setdefault(label, []).append(seconds)
        print(f"{label:45} {seconds:8.3f} s", flush=True)

    for _ in range(args.runs):
        seconds, _ = timed(lambda: services.rollup_refresh(days=days))
        record("reference: both days from nothing", seconds)
        services.rollup_refresh()  # the periodic run takes over from the recount
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE stats_countedrow")  # as autovacuum would after a recount
        seconds, _ = timed(services.rollup_refresh)
        record("periodic run, nothing new", seconds)
        for n in (args.changed, args.changed * 10):
            touch(n)
            seconds, results = timed(services.rollup_refresh)
            assert results[0].counted == n, (results[0].counted, n)
            record(f"periodic run, {n:,} updates written again", seconds)
        seconds, _ = timed(lambda: services._status_counts(today))
        record("of which: the stock snapshot (status rows)", seconds)

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('stats_countedrow')")
        size = cursor.fetchone()[0]
    reference = statistics.median(rows["reference: both days from nothing"])
    print("\n| run | median s | ratio to the reference |\n|---|---|---|")
    for label, values in rows.items():
        med = statistics.median(values)
        print(f"| {label} | {med:.3f} | {med / reference:.3f} |")
    idle = statistics.median(rows["periodic run, nothing new"])
    big = statistics.median(rows[f"periodic run, {args.changed * 10:,} updates written again"])
    print(f"\nper changed row (beyond the idle run): {(big - idle) / (args.changed * 10) * 1e6:.1f} µs")
    print(f"stats_countedrow: {CountedRow.objects.count():,} rows, {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
