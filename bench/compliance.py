"""Benchmark organisation compliance (issue 7): 1M members in 10,000 units on PostgreSQL.

    .venv/bin/python bench/compliance.py --fresh                      # 1M members, 10,000 units
    .venv/bin/python bench/compliance.py --fresh --members 20000 --units 500 --requests 30   # smoke

Targets (issue 7, Performance): the compliance dashboard page p95 ≤ 300 ms (it reads rollups),
the nightly snapshot ≤ 2 minutes on the 2-core machine.

Generation (skipped when the database already holds the asked sizes, unless `--fresh`): the
database is dropped, re-created and migrated, then loaded with COPY (psycopg `cursor.copy`):

* an org-unit tree 1 → 34 → ~3% → the rest (10,000: 1 → 34 → 300 → 9,665), materialised paths
  built exactly as OrgUnit.save does (`parent.path + "/" + code`);
* one person per member, with a PersonStatus row: ~70% declared since the campaign's start
  (another 10% only before it), ~55% of all members updated today (local day), the rest earlier;
* the members (98% on leaf units, 2% anywhere), 97% linked and confirmed;
* one campaign at the root that started 14 days ago, and 14 days of end-of-day snapshots so
  the dashboard's trend chart has its full input.

Measurements, in process through the real URL stack (Django test Client, bench/bench_settings.py:
DEBUG off, connection reuse — the settings and the `SELECT 1` reference view belong to the
issue-4/5 bench and are only imported here):

* the rollup refresh (khaibao.orgs.rollups.compliance_refresh, the every-minute job);
* the snapshot job (khaibao.orgs.rollups.compliance_snapshot) in its two shapes: 00:0x, the first
  run of a day, copying yesterday's last rollup; and the worst case, a run at 23:56 with no rollup
  of yesterday (so yesterday is recomputed from scratch) plus today's provisional refresh + copy;
* GET /staff/compliance/<root>/ and /staff/compliance/<mid-level unit>/ as the org admin
  (force_login), GET /api/v1/orgs/<id>/compliance with a bearer token, and the reference
  GET /bench/select1 — `--requests` timed requests each after `--warmup`, p50/p95/p99.

Each run's numbers are printed and all runs are written as JSON (`--json`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/khaibao_bench_compliance"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # settings.TIME_ZONE: the compliance "day" is a local day
CAMPAIGN_DAYS = 14
TARGET_PAGE_P95_MS = 300.0
TARGET_SNAPSHOT_S = 120.0


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


# --- Generation ---------------------------------------------------------------------------------


def recreate_and_migrate(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def database_exists(url: str) -> bool:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def current_sizes(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        try:
            units = conn.execute("SELECT count(*) FROM orgs_orgunit").fetchone()[0]  # type: ignore[index]
            members = conn.execute("SELECT count(*) FROM orgs_member").fetchone()[0]  # type: ignore[index]
        except psycopg.errors.UndefinedTable:
            return 0, 0
    return units, members


def tree_levels(units: int) -> list[int]:
    """Units per level: 1 root, up to 34 provinces, ~3% district-like units, the rest leaves."""
    l1 = min(34, max(1, units // 10))
    l2 = max(1, round(units * 0.03))
    l3 = units - 1 - l1 - l2
    if l3 < 1:
        raise SystemExit("--units too small for a four-level tree (at least ~50)")
    return [1, l1, l2, l3]


def build_tree(units: int) -> list[tuple[int, str, str, int | None, str]]:
    """(id, code, name, parent_id, path); children spread evenly over the level above."""
    levels = tree_levels(units)
    rows: list[tuple[int, str, str, int | None, str]] = [(1, "TW", "Trung ương Đoàn", None, "TW")]
    above = [(1, "TW")]
    next_id = 2
    prefixes = ["T", "C", "CD"]
    names = ["Tỉnh đoàn", "Đoàn cơ sở", "Chi đoàn"]
    for depth, count in enumerate(levels[1:]):
        level = []
        for k in range(count):
            parent_id, parent_path = above[k * len(above) // count]
            code = f"{prefixes[depth]}{k + 1:05d}"
            path = f"{parent_path}/{code}"  # as OrgUnit.save: parent's path + "/" + code
            rows.append((next_id, code, f"{names[depth]} {k + 1}", parent_id, path))
            level.append((next_id, path))
            next_id += 1
        above = level
    return rows


def generate(url: str, *, members: int, units: int, seed: int) -> None:
    started = time.monotonic()
    rng = random.Random(seed)
    recreate_and_migrate(url)
    log("database re-created and migrated", started)
    now = datetime.now(TZ)
    today = now.date()
    midnight = datetime.combine(today, datetime.min.time(), tzinfo=TZ)
    start = midnight - timedelta(days=CAMPAIGN_DAYS)
    since_midnight = max(1.0, (now - midnight).total_seconds())
    tree = build_tree(units)
    leaves = [r[0] for r in tree if r[4].count("/") == 3]
    all_ids = [r[0] for r in tree]
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            with cur.copy("COPY orgs_orgunit (id, code, name, parent_id, path) FROM STDIN") as copy:
                for row in tree:
                    copy.write_row(row)
            log(f"{len(tree)} units ({'/'.join(map(str, tree_levels(units)))})", started)
            ward = conn.execute("SELECT code FROM places_ward ORDER BY code LIMIT 1").fetchone()[0]  # type: ignore[index]
            with cur.copy(
                "COPY people_person (id, full_name, birth_year, sex, nationality_id, id_number, phone, phone_index,"
                " street, home_ward_id, created_at, updated_at) FROM STDIN"
            ) as copy:
                for pid in range(1, members + 1):
                    copy.write_row((pid, f"Thành viên {pid}", 1960 + pid % 45, "female" if pid % 2 else "male", "VN",
                                    "", "", "", "", ward, "2026-01-01 00:00+07", "2026-01-01 00:00+07"))
            log(f"{members} people", started)
            declared = updated = 0
            with cur.copy(
                "COPY monitoring_personstatus (person_id, level, reasons, recommendations, ruleset_version, priority,"
                " needs_attention, is_f0, contact_level, in_queue, missed_days, queue_rank, last_declaration_at,"
                " last_update_at, last_update_day, last_activity_at) FROM STDIN"
            ) as copy:
                for pid in range(1, members + 1):
                    r = rng.random()
                    last_declaration: datetime | None = None
                    last_update: datetime | None = None
                    if r < 0.70:  # declared since the start; 55/70 of them also updated today
                        declared += 1
                        last_declaration = start + timedelta(seconds=rng.random() * (now - start).total_seconds())
                        if rng.random() < 0.55 / 0.70:
                            updated += 1
                            last_update = midnight + timedelta(seconds=rng.random() * since_midnight)
                        else:
                            last_update = start + timedelta(seconds=rng.random() * (midnight - start).total_seconds())
                        last_declaration = min(last_declaration, last_update)
                    elif r < 0.80:  # declared before the campaign only
                        last_declaration = start - timedelta(days=1 + rng.random() * 30)
                        last_update = last_declaration
                    copy.write_row((pid, "low", None, "[]", "bench", 0, False, False, "", False, 0, 0,
                                    last_declaration, last_update,
                                    last_update.astimezone(TZ).date() if last_update else None, last_update))
            log(f"{members} statuses ({declared / members:.1%} declared since the start,"
                f" {updated / members:.1%} updated today)", started)
            with cur.copy(
                "COPY orgs_member (id, unit_id, full_name, phone, phone_index, role, person_id, linked_at,"
                " confirmed_at, created_at) FROM STDIN"
            ) as copy:
                for mid in range(1, members + 1):
                    unit = rng.choice(leaves) if rng.random() < 0.98 else rng.choice(all_ids)
                    confirmed = rng.random() < 0.97
                    at = "2026-01-02 00:00+07" if confirmed else None
                    copy.write_row((mid, unit, f"Thành viên {mid}", "", f"bench-{mid}", "doan_vien", mid, at, at,
                                    "2026-01-01 00:00+07"))
            log(f"{members} members", started)
        conn.execute(
            "INSERT INTO orgs_campaign (id, unit_id, name, starts_on, deadline, target_declared, target_updated_daily,"
            " reminder_policy, created_at) VALUES (1, 1, 'Khai báo y tế toàn Đoàn', %s, %s, true, true, 'in_app', now())",
            [start.date(), today + timedelta(days=30)],
        )
        for table in ("orgs_orgunit", "people_person", "orgs_member", "orgs_campaign"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    log("analysed; generation done", started)


def seed_history(today: date) -> None:
    """Past days' snapshots (from today's rollup, scaled) so the trend chart reads 14 days of rows."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DELETE FROM orgs_compliancesnapshot")
        cur.execute(
            """
            INSERT INTO orgs_compliancesnapshot (campaign_id, unit_id, day, members, declared, updated_today,
                                                 assisted_people, final, taken_at)
            SELECT r.campaign_id, r.unit_id, d::date, r.members,
                   (r.declared * (%(n)s - (%(today)s::date - d::date)) / %(n)s)::int,
                   (r.updated_today * 0.9)::int, 0, true, d + interval '1 day'
            FROM orgs_unitcompliancerollup r,
                 generate_series(%(today)s::date - %(n)s, %(today)s::date - 2, interval '1 day') d
            WHERE r.day = %(today)s
            """,
            {"today": today, "n": CAMPAIGN_DAYS},
        )


# --- Measurement --------------------------------------------------------------------------------


def setup_django(db: str) -> None:
    os.environ["DATABASE_URL"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def timed_requests(call: Callable[[], Any], n: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        call()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        out.append((time.perf_counter() - t) * 1000)
    return {"p50": pct(out, 50), "p95": pct(out, 95), "p99": pct(out, 99), "mean": statistics.fmean(out)}


def getter(client: Any, url: str) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
        return response

    return call


def measure_run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from khaibao.accounts.models import Account
    from khaibao.accounts.tokens import token_issue
    from khaibao.orgs.models import ComplianceSnapshot, OrgUnit, UnitComplianceRollup
    from khaibao.orgs.rollups import compliance_refresh, compliance_snapshot

    # Other processes on the box skew latencies: the 1-minute load average is kept with each run.
    result: dict[str, Any] = {"loadavg_start": os.getloadavg()[0]}
    now = timezone.now()
    today = timezone.localdate(now)
    yesterday = today - timedelta(days=1)

    # The every-minute job: today's rollup of the one campaign (all units).
    t = time.perf_counter()
    refreshed = compliance_refresh(now=now)
    result["refresh_s"] = time.perf_counter() - t
    result["refresh_units"] = sum(r.units for r in refreshed)
    seed_history(today)

    # Snapshot, first run of a day (00:0x): yesterday's last rollup exists and is copied.
    UnitComplianceRollup.objects.filter(day=yesterday).delete()
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO orgs_unitcompliancerollup (campaign_id, unit_id, day, own_members, own_declared,"
            " own_updated_today, members, declared, updated_today, assisted_people, refreshed_at)"
            " SELECT campaign_id, unit_id, %s, own_members, own_declared, own_updated_today, members, declared,"
            " updated_today, assisted_people, refreshed_at FROM orgs_unitcompliancerollup WHERE day = %s",
            [yesterday, today],
        )
    ComplianceSnapshot.objects.filter(day__gte=yesterday).delete()
    early = datetime.combine(today, datetime.min.time(), tzinfo=TZ) + timedelta(minutes=5)
    t = time.perf_counter()
    written = compliance_snapshot(now=early)
    result["snapshot_copy_s"] = time.perf_counter() - t
    result["snapshot_copy_rows"] = written

    # Worst case: 23:56, no rollup of yesterday at all (job down all day) → recompute yesterday,
    # then refresh today and take today's provisional snapshot.
    UnitComplianceRollup.objects.filter(day=yesterday).delete()
    ComplianceSnapshot.objects.filter(day__gte=yesterday).delete()
    late = datetime.combine(today, datetime.min.time(), tzinfo=TZ) + timedelta(hours=23, minutes=56)
    t = time.perf_counter()
    written = compliance_snapshot(now=late)
    result["snapshot_worst_s"] = time.perf_counter() - t
    result["snapshot_worst_rows"] = written
    # Leave today's rollup as the live job would (refreshed now, not at 23:56).
    compliance_refresh(now=timezone.now())

    root = OrgUnit.objects.get(parent__isnull=True)
    mid = OrgUnit.objects.filter(path__regex=r"^[^/]+/[^/]+/[^/]+$").order_by("pk").first()
    province = OrgUnit.objects.filter(parent=root).order_by("pk").first()
    assert mid is not None
    assert province is not None
    admin, _ = Account.objects.get_or_create(
        username="bench-org-admin", defaults={"role": "org_admin", "display_name": "Bench org admin", "org_unit": root}
    )
    console = Client(headers={"Accept-Language": "en"})
    console.force_login(admin)
    token, _ = token_issue(account=admin, label="bench")
    api = Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    anon = Client()
    endpoints = {
        "reference: GET /bench/select1": getter(anon, "/bench/select1"),
        f"page: /staff/compliance/{root.pk}/ (root, {root.children.count()} children)":
            getter(console, f"/staff/compliance/{root.pk}/"),
        f"page: /staff/compliance/{province.pk}/ (level 1, {province.children.count()} children)":
            getter(console, f"/staff/compliance/{province.pk}/"),
        f"page: /staff/compliance/{mid.pk}/ (level 2, {mid.children.count()} children)":
            getter(console, f"/staff/compliance/{mid.pk}/"),
        f"api: GET /api/v1/orgs/{root.pk}/compliance": getter(api, f"/api/v1/orgs/{root.pk}/compliance"),
        f"api: GET /api/v1/orgs/{mid.pk}/compliance": getter(api, f"/api/v1/orgs/{mid.pk}/compliance"),
    }
    # Sanity: the root's numbers are the whole organisation's.
    body = endpoints[f"api: GET /api/v1/orgs/{root.pk}/compliance"]().json()
    result["root_numbers"] = {k: body["unit"][k] for k in ("members", "declared", "updated_today",
                                                           "declared_pct", "updated_pct")}
    result["requests"] = {name: timed_requests(call, args.requests, args.warmup) for name, call in endpoints.items()}
    result["loadavg_end"] = os.getloadavg()[0]
    return result


def explain_own_counts() -> str:
    """EXPLAIN ANALYZE of the refresh's one grouped query (the only query over members)."""
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from khaibao.orgs.access import subtree_q
    from khaibao.orgs.compliance import declared_q, updated_q
    from khaibao.orgs.models import Campaign, Member

    # The same query as khaibao.orgs.rollups._own_counts (which returns rows, not the queryset).
    campaign = Campaign.objects.select_related("unit").get(pk=1)
    qs = (
        Member.objects.filter(subtree_q(campaign.unit.path, field="unit__path"), removed_at__isnull=True)
        .values("unit_id")
        .annotate(
            own_members=Count("pk"),
            own_declared=Count("pk", filter=declared_q(campaign.starts_on)),
            own_updated_today=Count("pk", filter=updated_q(timezone.localdate())),
        )
        .order_by()
    )
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def machine() -> dict[str, Any]:
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "free": free, "python": platform.python_version(), "postgres": pg,
            "kernel": platform.release()}


def summarise(runs: list[dict[str, Any]]) -> None:
    def med(xs: list[float]) -> str:
        return f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})"

    loads = ", ".join(f"{r['loadavg_start']:.1f}→{r['loadavg_end']:.1f}" for r in runs)
    print(f"\n1-min load average per run (start→end; 2 cores): {loads}")
    print("\n## Jobs (seconds: median (min–max) over runs)")
    for key in ("refresh_s", "snapshot_copy_s", "snapshot_worst_s"):
        print(f"- {key}: {med([r[key] for r in runs])}")
    print("\n## Requests (ms: median over runs (min–max))")
    ref = statistics.median(r["requests"]["reference: GET /bench/select1"]["p50"] for r in runs)
    print("| endpoint | p50 | p95 | p99 | p50 / ref p50 |")
    print("|---|---|---|---|---|")
    for name in runs[0]["requests"]:
        cols = [med([r["requests"][name][p] for r in runs]) for p in ("p50", "p95", "p99")]
        ratio = statistics.median(r["requests"][name]["p50"] for r in runs) / ref
        print(f"| {name} | {' | '.join(cols)} | {ratio:.1f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--fresh", action="store_true", help="drop, re-create and regenerate the database")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the refresh's query")
    parser.add_argument("--json", default="var/bench/compliance.json")
    args = parser.parse_args()

    sizes = current_sizes(args.db) if database_exists(args.db) else (0, 0)
    if args.fresh or sizes != (args.units, args.members):
        generate(args.db, members=args.members, units=args.units, seed=args.seed)
    else:
        print(f"reusing {args.db}: {sizes[0]} units, {sizes[1]} members (--fresh to regenerate)")

    setup_django(args.db)
    runs = []
    for n in range(args.runs):
        started = time.monotonic()
        run = measure_run(args)
        runs.append(run)
        print(f"run {n + 1}/{args.runs} ({time.monotonic() - started:.0f}s): " + json.dumps(run, indent=1, default=str))
    summarise(runs)
    if args.explain:
        print("\n## EXPLAIN ANALYZE (refresh: own counts per unit)\n" + explain_own_counts())
    out = ROOT / args.json
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "args": vars(args), "runs": runs}, indent=1, default=str))
    print(f"\nwritten {out}; machine: {json.dumps(machine())}")
    print(f"targets: dashboard page p95 ≤ {TARGET_PAGE_P95_MS:.0f} ms, snapshot ≤ {TARGET_SNAPSHOT_S:.0f} s")


if __name__ == "__main__":
    main()
