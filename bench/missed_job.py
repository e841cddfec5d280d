"""The missed-updates job at scale: the old shape (status rows locked per batch while it computes,
saved one by one) against the new (read without locks, one guarded write per batch).

    .venv/bin/python bench/missed_job.py --db postgres://root@127.0.0.1:5432/khaibao_bench_missed --people 100000

On a migrated database it fills once (`--people` people under monitoring, their status rows and a
daily update on each of the last days for most of them — the rest miss days and are escalated or
lost), then, in one process, per run:

* **reference**: the old shape (`old_refresh`, the code before cases/missed.py) after the job's
  columns were reset, so that most rows change — the run after midnight, when everyone's missed
  days move;
* **new, busy**: the job (`missed.missed_updates_refresh`) after the same reset;
* **old / new, idle**: a second run right after, nothing to change — the every-5-minutes run.

Then the hot path's side: while each shape runs (busy) in one thread, another connection keeps
sending single-row UPDATEs of status rows under monitoring (what a daily update's write does to
the row), each in its own transaction; printed: their wait in ms (p50, p99, max) against the same
UPDATEs with no job running.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/khaibao_bench_missed"


def setup(db: str) -> None:
    os.environ["DATABASE_URL"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def fill(people: int) -> None:
    """`people` people under monitoring for 4 days: 80% updated every day, 10% stopped 2 days ago,
    10% on the first day only (idempotent: fills only an empty database)."""
    from datetime import timedelta

    from django.utils import timezone

    from khaibao.monitoring.models import DailyUpdate, PersonStatus
    from khaibao.people.models import Person
    from khaibao.places.models import Ward

    if PersonStatus.objects.count() >= people:
        return
    today = timezone.localdate()
    now = timezone.now()
    chunk = 5000
    ward = Ward.objects.order_by("code").first()
    for start in range(0, people, chunk):
        made = Person.objects.bulk_create(
            [Person(full_name=f"Người {start + i}", birth_year=1980, sex="female", home_ward=ward) for i in range(min(chunk, people - start))]
        )
        statuses, updates = [], []
        for p in made:
            kind = p.pk % 10
            last = 0 if kind < 8 else (2 if kind == 8 else 4)  # days ago of the last update
            statuses.append(PersonStatus(
                person=p, level="medium", assessed_at=now - timedelta(days=4), priority=1000,
                monitoring_from=today - timedelta(days=4), monitoring_until=today + timedelta(days=10),
                last_update_day=today - timedelta(days=last), last_update_at=now - timedelta(days=last),
            ))
            updates += [
                DailyUpdate(person=p, day=today - timedelta(days=d), symptoms=[], feeling="well", updated_as="self",
                            created_at=now - timedelta(days=d), updated_at=now - timedelta(days=d))
                for d in range(last, 5)
            ]
        PersonStatus.objects.bulk_create(statuses)
        DailyUpdate.objects.bulk_create(updates)
        print(f"filled {start + len(made):,} people", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE monitoring_personstatus")
        cursor.execute("ANALYZE monitoring_dailyupdate")


def old_refresh(*, batch: int = 500) -> int:
    """The job before cases/missed.py: each batch locked (FOR UPDATE) while the updates and
    actions are read and the rows saved one by one."""
    from django.db import transaction
    from django.db.models import Max, Q
    from django.utils import timezone

    from khaibao.cases.missed import lost_after_days
    from khaibao.cases.models import ActionKind, FollowUpAction
    from khaibao.monitoring.models import DailyUpdate, PersonStatus
    from khaibao.monitoring.queue import ESCALATE_AFTER_DAYS, missed_run, queue_apply, under_monitoring

    now = timezone.now()
    today = timezone.localdate(now)
    relevant = Q(monitoring_until__gte=today) | Q(missed_days__gt=0) | Q(lost_to_followup_at__isnull=False)
    changed = last_id = 0
    while True:
        with transaction.atomic():
            statuses = list(
                PersonStatus.objects.select_for_update().filter(relevant, person_id__gt=last_id)
                .order_by("person_id")[:batch]
            )
            if not statuses:
                return changed
            ids = [s.person_id for s in statuses]
            last_update = dict(
                DailyUpdate.objects.filter(person_id__in=ids, day__lte=today)
                .values("person_id").annotate(last=Max("day")).values_list("person_id", "last")
            )
            last_action = dict(
                FollowUpAction.objects.filter(person_id__in=ids).exclude(kind=ActionKind.LOST_TO_FOLLOWUP)
                .values("person_id").annotate(last=Max("at")).values_list("person_id", "last")
            )
            for s in statuses:
                before = (s.missed_days, s.escalated_at, s.lost_to_followup_at, s.in_queue, s.queue_rank, s.queue_since)
                missed = contact = 0
                if under_monitoring(s, today) and s.monitoring_from is not None and s.monitoring_until is not None:
                    updated = last_update.get(s.person_id)
                    missed = missed_run(last_day_with_update=updated, start=s.monitoring_from,
                                        until=s.monitoring_until, today=today)
                    acted_at = last_action.get(s.person_id)
                    acted = timezone.localdate(acted_at) if acted_at is not None else None
                    contact = missed_run(last_day_with_update=max(filter(None, [updated, acted]), default=None),
                                         start=s.monitoring_from, until=s.monitoring_until, today=today)
                s.missed_days = min(missed, 32767)
                if contact >= ESCALATE_AFTER_DAYS and s.escalated_at is None:
                    s.escalated_at = now
                if contact >= lost_after_days():
                    s.lost_to_followup_at = s.lost_to_followup_at or now
                elif s.lost_to_followup_at is not None and s.last_update_at and s.last_update_at > s.lost_to_followup_at:
                    s.lost_to_followup_at = None
                queue_apply(s, today, now)
                if (s.missed_days, s.escalated_at, s.lost_to_followup_at, s.in_queue, s.queue_rank, s.queue_since) != before:
                    s.save(update_fields=["missed_days", "escalated_at", "lost_to_followup_at",
                                          "in_queue", "queue_rank", "queue_since"])
                    changed += 1
            last_id = statuses[-1].person_id


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE monitoring_personstatus SET missed_days = 0, escalated_at = NULL, lost_to_followup_at = NULL,"
            " in_queue = false, queue_rank = 0, queue_since = NULL"
        )
        cursor.execute("VACUUM ANALYZE monitoring_personstatus")


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def writes_meanwhile(db: str, ids: list[int], job: Callable[[], Any] | None, seconds: float) -> dict[str, float]:
    """Single-row status UPDATEs (autocommit) from another connection while `job` runs in this
    thread's connection (or for `seconds` without one): their latencies in ms."""
    import psycopg
    from django.db import connection

    done = threading.Event()
    waits: list[float] = []

    def hot_path() -> None:
        with psycopg.connect(db, autocommit=True) as conn:
            rng = random.Random(7)
            while not done.is_set():
                person_id = rng.choice(ids)
                t = time.perf_counter()
                conn.execute("UPDATE monitoring_personstatus SET last_update_at = now() WHERE person_id = %s",
                             [person_id])
                waits.append((time.perf_counter() - t) * 1000)

    thread = threading.Thread(target=hot_path)
    thread.start()
    if job is None:
        time.sleep(seconds)
    else:
        job()
    done.set()
    thread.join()
    connection.close()
    return {"n": len(waits), "p50": pct(waits, 50), "p99": pct(waits, 99), "max": max(waits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("MISSED_DB", DEFAULT_DB))
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup(args.db)

    from khaibao.cases import missed
    from khaibao.monitoring.models import PersonStatus

    fill(args.people)
    print(f"{PersonStatus.objects.count():,} status rows", flush=True)
    rows: dict[str, list[float]] = {}

    def record(label: str, seconds: float, changed: int) -> None:
        rows.setdefault(label, []).append(seconds)
        print(f"{label:30} {seconds:8.3f} s  changed {changed:,}", flush=True)

    for _ in range(args.runs):
        reset()
        seconds, changed = timed(old_refresh)
        record("reference: old shape, busy", seconds, changed)
        seconds, changed = timed(old_refresh)
        record("old shape, idle", seconds, changed)
        reset()
        seconds, report = timed(missed.missed_updates_refresh)
        record("new, busy", seconds, report.changed)
        seconds, report = timed(missed.missed_updates_refresh)
        record("new, idle", seconds, report.changed)

    reference = statistics.median(rows["reference: old shape, busy"])
    print("\nmedian seconds, ratio to the reference:")
    for label, values in rows.items():
        print(f"  {label:30} {statistics.median(values):8.3f} s  {statistics.median(values) / reference:6.2f}")

    ids = list(PersonStatus.objects.values_list("person_id", flat=True)[:50_000])
    print("\nsingle-row status UPDATEs from another connection, ms:")
    reset()
    old = writes_meanwhile(args.db, ids, old_refresh, 0)
    reset()
    new = writes_meanwhile(args.db, ids, missed.missed_updates_refresh, 0)
    idle = writes_meanwhile(args.db, ids, None, 5.0)
    for label, w in (("no job", idle), ("while the old shape runs", old), ("while the new job runs", new)):
        print(f"  {label:26} n={w['n']:6,}  p50 {w['p50']:7.2f}  p99 {w['p99']:8.2f}  max {w['max']:8.2f}")


if __name__ == "__main__":
    main()
