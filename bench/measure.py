"""Measure read latencies and job times on a database made by bench/generate.py.

    .venv/bin/python bench/measure.py --db postgres://root@127.0.0.1:5432/khaibao_bench --runs 3

In process, through the real URL stack (Django test Client: every middleware, URL resolution,
ninja, templates; no network), with bench/bench_settings.py (DEBUG off, connection reuse). Each
endpoint gets `--warmup` untimed requests, then `--requests` timed ones, per run; the report
gives, per endpoint, the median over runs of p50/p95/p99 with the min–max of p95, and ratios to
the reference view (`SELECT 1` through the same stack) measured in the same run.

Jobs: the statistics refresh of one day (today, with the status snapshot, and yesterday), and
the zone warning job for a new zone covering a whole province, run batch after batch for at
most `--warning-seconds`; its rate gives the time for 1M residents (1,000,000 / rate).

Reference for writes: pgbench upserts into monitoring_dailyupdate (bench/pgbench_upsert.sql,
-T 10) and the minimal insert view, so later runs of the update path can be read as ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/khaibao_bench"
TARGETS_MS = {"triage": 150.0, "dashboard": 150.0, "zones_check": 5.0}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def timed(fn: Callable[[], Any], n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def setup(db: str) -> None:
    os.environ["DATABASE_URL"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def staff(username: str, **scope: Any) -> Any:
    from khaibao.accounts.models import Account

    account, _ = Account.objects.get_or_create(
        username=username, defaults={"role": "official", "display_name": username, **scope}
    )
    return account


def api_client(account: Any) -> Any:
    from django.test import Client

    from khaibao.accounts.tokens import token_issue

    token, _ = token_issue(account=account, label="bench")
    return Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})


def console_client(account: Any) -> Any:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(headers={"Accept-Language": "en"})
    client.force_login(account)
    device = TOTPDevice.objects.filter(user=account, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=account, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def getter(client: Any, url: str | Callable[[], str]) -> Callable[[], Any]:
    def call() -> Any:
        response = client.get(url() if callable(url) else url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
        return response

    return call


def measure_requests(args: argparse.Namespace) -> dict[str, list[dict[str, float]]]:
    from django.test import Client

    from khaibao.places.models import Province

    province_code = args.province
    province_name = Province.objects.get(pk=province_code).name
    national = staff("bench-national", scope_level="national")
    provincial = staff("bench-province", scope_level="province", scope_province_id=province_code)
    anon = Client()
    rng = random.Random(7)
    points = [(round(8.6 + rng.random() * 14.5, 5), round(102.2 + rng.random() * 7.2, 5)) for _ in range(500)]
    it = iter(points * 1000)

    def point_url() -> str:
        lat, lon = next(it)
        return f"/api/v1/zones/check?lat={lat}&lon={lon}"

    cases: dict[str, Callable[[], Any]] = {
        "reference: SELECT 1 view": getter(anon, "/bench/select1"),
        f"triage first page (province: {province_name})": getter(api_client(provincial), "/api/v1/triage"),
        "triage first page (national)": getter(api_client(national), "/api/v1/triage"),
        # The console's queue (issue 18): a page of people, so one audit event per page.
        f"console queue /staff/cases/ (province: {province_name})": getter(console_client(provincial), "/staff/cases/"),
        "console queue /staff/cases/ (national)": getter(console_client(national), "/staff/cases/"),
        f"dashboard /staff/stats/ (province: {province_name})": getter(console_client(provincial), "/staff/stats/"),
        "dashboard /staff/stats/ (national)": getter(console_client(national), "/staff/stats/"),
        "stats summary API (province)": getter(api_client(provincial), "/api/v1/stats/summary"),
        "stats summary API (national)": getter(api_client(national), "/api/v1/stats/summary"),
        "zones/check lat/lon (10k zones, warm)": getter(anon, point_url),
    }
    results: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
    for run in range(args.runs):
        for name, call in cases.items():
            values = timed(call, args.requests, args.warmup)
            results[name].append({"p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99)})
            print(f"run {run + 1} {name:55} p50 {pct(values, 50):8.2f}  p95 {pct(values, 95):8.2f}"
                  f"  p99 {pct(values, 99):8.2f} ms", flush=True)
    return results


def measure_rollups(args: argparse.Namespace) -> dict[str, list[float]]:
    from datetime import timedelta

    from django.utils import timezone

    from khaibao.stats.services import rollup_refresh_day

    today = timezone.localdate()
    out: dict[str, list[float]] = {"today (with status snapshot)": [], "yesterday": []}
    for _ in range(args.runs):
        for label, day in (("today (with status snapshot)", today), ("yesterday", today - timedelta(days=1))):
            t = time.perf_counter()
            rollup_refresh_day(day=day)
            out[label].append(time.perf_counter() - t)
            print(f"stats refresh {label}: {out[label][-1]:.2f} s", flush=True)
    return out


def measure_warning_job(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from khaibao.people.models import Person
    from khaibao.zones.models import RunStatus, Zone, ZoneVersion, ZoneWarningRun
    from khaibao.zones.warnings import warning_run_step

    province = args.warning_province or args.province
    residents = Person.objects.filter(home_ward__province_id=province).count()
    with transaction.atomic():
        zone = Zone.objects.create(province_id=province)
        version = ZoneVersion.objects.create(
            zone=zone, number=1, change="create", name=f"bench whole province {province}", level=3,
            whole_province=True, valid_from=timezone.now(),
        )
        zone.current = version
        zone.save(update_fields=["current"])
        run = ZoneWarningRun.objects.create(zone_version=version)
    started = time.perf_counter()
    batches = 0
    while True:
        run = warning_run_step(run_id=run.pk, batch_size=args.warning_batch)
        batches += 1
        elapsed = time.perf_counter() - started
        if run.status == RunStatus.DONE or elapsed > args.warning_seconds:
            break
    rate = run.processed / elapsed if elapsed else 0.0
    result = {
        "province": province, "residents": residents, "processed": run.processed, "warned": run.warned,
        "batches": batches, "batch_size": args.warning_batch, "seconds": elapsed, "done": run.status == RunStatus.DONE,
        "rate_per_s": rate, "extrapolated_1m_s": 1_000_000 / rate if rate else None,
    }
    print(f"zone warning job: {json.dumps(result)}", flush=True)
    return result


def pgbench(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM people_person")
        (maxpid,) = cursor.fetchone()
    command = ["pgbench", "-n", "-f", str(ROOT / "bench" / "pgbench_upsert.sql"), "-D", f"maxpid={maxpid}",
               "-c", str(args.pgbench_clients), "-j", str(args.pgbench_clients), "-T", str(args.pgbench_seconds),
               args.db]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    latency = re.search(r"latency average = ([0-9.]+) ms", out)
    print(f"pgbench upsert: {tps:.0f} tps", flush=True)
    return {"command": " ".join(command), "tps": tps, "latency_avg_ms": float(latency.group(1)) if latency else None}


def insert_reference(args: argparse.Namespace) -> dict[str, float]:
    from django.test import Client

    client = Client()
    rng = random.Random(3)

    def call() -> None:
        client.post(f"/bench/insert?person={rng.randint(1, 1000)}")

    values = timed(call, args.requests * 5, args.warmup)
    return {"p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99),
            "serial_req_per_s": 1000 / statistics.mean(values)}


def cleanup_reference_rows() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM monitoring_dailyupdate WHERE day >= current_date + 900")


def summarise(results: dict[str, list[dict[str, float]]]) -> list[dict[str, Any]]:
    ref = statistics.median(r["p95"] for r in results["reference: SELECT 1 view"])
    rows = []
    for name, runs in results.items():
        p95s = [r["p95"] for r in runs]
        row = {
            "endpoint": name,
            "p50": statistics.median(r["p50"] for r in runs),
            "p95": statistics.median(p95s), "p95_min": min(p95s), "p95_max": max(p95s),
            "p99": statistics.median(r["p99"] for r in runs),
            "ratio_p95_to_reference": statistics.median(p95s) / ref if ref else None,
        }
        rows.append(row)
    return rows


def machine() -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (pg,) = cursor.fetchone()
        counts = {}
        for table in ("people_person", "monitoring_personstatus", "monitoring_dailyupdate",
                      "declarations_declaration", "zones_zoneversion"):
            cursor.execute(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM monitoring_personstatus WHERE in_queue")
        counts["in_queue"] = cursor.fetchone()[0]
    import django

    mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
    return {"nproc": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "django": django.get_version(), "postgresql": pg, "loadavg_start": os.getloadavg(), "rows": counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", DEFAULT_DB))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--province", type=int, default=1, help="the province official's province")
    parser.add_argument("--warning-province", type=int, default=None, help="the zone of the warning job")
    parser.add_argument("--warning-seconds", type=float, default=60.0)
    parser.add_argument("--warning-batch", type=int, default=10_000)
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--pgbench-clients", type=int, default=2)
    parser.add_argument("--skip", default="", help="comma-separated: requests,rollups,warning,pgbench")
    parser.add_argument("--json", default="", help="also write the results to this file")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    setup(args.db)
    report: dict[str, Any] = {"args": vars(args), "machine": machine()}
    print(json.dumps(report["machine"]), flush=True)
    if "requests" not in skip:
        from khaibao.audit.models import AuditEvent

        # The list pages write one audit event per page (issue 18): count them, so the results
        # show that the timed requests include that INSERT.
        before = AuditEvent.objects.filter(action="list.triage").count()
        report["requests"] = summarise(measure_requests(args))
        report["list_audit_events"] = AuditEvent.objects.filter(action="list.triage").count() - before
        print(f"list.triage audit events written during the requests: {report['list_audit_events']}", flush=True)
    if "rollups" not in skip:
        report["rollups_s"] = measure_rollups(args)
    if "pgbench" not in skip:
        report["pgbench"] = pgbench(args)
        report["insert_reference"] = insert_reference(args)
        cleanup_reference_rows()
    if "warning" not in skip:
        report["warning_job"] = measure_warning_job(args)

    print("\n## Summary (ms; median over runs, p95 min–max)")
    for row in report.get("requests", []):
        print(f"| {row['endpoint']} | {row['p50']:.1f} | {row['p95']:.1f} ({row['p95_min']:.1f}–{row['p95_max']:.1f})"
              f" | {row['p99']:.1f} | {row['ratio_p95_to_reference']:.1f}× |")
    for label, values in report.get("rollups_s", {}).items():
        print(f"| stats refresh {label} | median {statistics.median(values):.2f} s"
              f" ({min(values):.2f}–{max(values):.2f}) |")
    if "pgbench" in report:
        ins = report["insert_reference"]
        print(f"| pgbench upsert tps | {report['pgbench']['tps']:.0f} | minimal insert view (serial, in-process)"
              f" {ins['serial_req_per_s']:.0f} req/s, p95 {ins['p95']:.2f} ms |")
    if "warning_job" in report:
        w = report["warning_job"]
        print(f"| zone warning job | {w['processed']} people in {w['seconds']:.1f} s = {w['rate_per_s']:.0f}/s;"
              f" 1M residents ≈ {w['extrapolated_1m_s']:.0f} s |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))


if __name__ == "__main__":
    main()
