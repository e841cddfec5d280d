"""Rush mode under load (decision D, docs/decisions/0008): the daily update at 3× and 10× its sustained
rate, through a real HTTP server on 127.0.0.1, with the task worker assessing what was stored first.

    make bench-rush                       # prepare a small world, then the run below (under flock)
    .venv/bin/python bench/rush.py --db postgres://root@127.0.0.1:5432/khaibao_rush \
        --tokens var/bench/rush-tokens.json --json var/bench/rush.json

1. **Sustained rate** of the daily update alone (PUT /api/v1/people/{id}/updates/{day}): a short
   closed-loop probe, then open-loop steps (bench/load.py's driver, `X-Request-Start` stamped at send
   time as a reverse proxy would); the highest step with p99 ≤ 100 ms and < 0.1 % errors, a step
   that misses being run once more before it counts (`--sustained` skips this).
2. **Rush, 3×** the sustained rate for `--rush-seconds` (60), every (person, day) distinct. Targets:
   ≥ 95 % acknowledged (2xx or 202), 0 lost (every acknowledged update's row holds its payload and has
   exactly one create/replace audit event: bench/load.py's `check_burst`), 0 assessed twice (each 202
   update named by exactly one `daily_update.assess` event, each 200/201 by none), and every pending
   one assessed within 60 s after the rush ends (the pending table polled each second).
3. **Burst, 10×** for `--burst-seconds` (30): nothing answered but 2xx, 202 and 503 with
   Retry-After, and the same checks for what was acknowledged.

The rush and the burst go through a reverse proxy, as production's requests do
(docs/operations.md, "Overload"): nginx (scripts/nginx-front.sh) admits `--front-factor` (3.5)
times the sustained rate to the app server and answers the rest itself with 503 + Retry-After.
Without it (`--front-factor 0`) a 10× burst reaches Python whole: on this 2-core machine, shared
with the client and PostgreSQL, granian cannot even take requests off the socket as fast as they
come, and many wait past the client's 10 s (bench/RESULTS.md, "the eleventh pass").

Bounded: about 3–4 minutes in all. Run it only under `flock /tmp/kb-bench.lock` (the Makefile does):
the machine is shared, and every figure depends on what else runs — each report carries the load
average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import (
    ROOT,
    TZ,
    Outcome,
    Server,
    Workload,
    check_updates_stored,
    closed_loop,
    db_query,
    django_setup,
    front_start,
    front_stop,
    loadavg,
    log,
    open_loop,
    run_client,
    start_task_worker,
    stop_process,
    summarise,
)

ACKED = (200, 201, 202)


def _yesterday_only(workload: Workload) -> Workload:
    # The rate is measured on yesterday's updates, the phases write today's: no phase's checks see
    # another's writes of the same (person, day).
    workload.days = workload.days[1:]
    return workload


def _today_only(workload: Workload) -> Workload:
    assert workload.pairs is not None
    workload.pairs = [pair for pair in workload.pairs if pair[2] == workload.days[0]]
    return workload


def sustained_rate(server: Server, data: dict[str, Any], args: argparse.Namespace) -> tuple[float, list[dict[str, Any]]]:
    base = f"http://127.0.0.1:{server.port}"
    run_client(closed_loop(base, _yesterday_only(Workload(data, "updates", seed=3)), 8, 3))
    probe, _n = run_client(closed_loop(base, _yesterday_only(Workload(data, "updates", seed=7)), 8, 5))
    log(f"updates closed loop (8 clients): {probe:.0f}/s")
    best, steps = 0.0, []
    for fraction in (0.4, 0.55, 0.7, 0.85):
        rate = max(1.0, probe * fraction)
        # A step that misses the SLO is run once more before it sets the bar: one slow second of a
        # 6 s step (a checkpoint, autovacuum after the world's generation, the worker's first
        # periodic jobs) made the bar of the same code move from 82 to 181/s — and the 3× rush with it.
        for attempt in (1, 2):
            s = summarise(run_client(open_loop(
                base, _yesterday_only(Workload(data, "updates", seed=int(rate) + 1000 * (attempt - 1))), rate, 6,
                raw=args.client == "raw")), 6)
            p99 = s["kinds"].get("update", {}).get("p99")
            ok = p99 is not None and p99 <= 100 and s["error_rate"] < 0.001 and "202" not in s["statuses"]
            steps.append({"offered_per_s": round(rate, 1), "attempt": attempt, "p99": p99, "statuses": s["statuses"],
                          "meets_slo": ok})
            log(f"  {rate:6.0f}/s: p99 {p99} ms, statuses {s['statuses']} {'✓' if ok else '✗'}"
                + (" (again)" if attempt == 2 else ""))
            if ok:
                break
        if not ok:
            break
        best = rate
    if not best:
        best = probe * 0.4
        log(f"no step met the SLO (a busy machine): using 40% of the closed-loop rate, {best:.0f}/s")
    return best, steps


def check_stored(outcomes: list[Outcome], started_at: datetime) -> dict[str, Any]:
    """bench/load.py's check of the stored updates (through the models: health answers are sealed
    at rest): each acknowledged update's row holds its payload with exactly one create/replace
    audit event; each refused (503) one left no trace."""
    return {"problems": check_updates_stored(outcomes, started_at, ACKED)}


def pending_count(db: str) -> int:
    return int(db_query(db, "SELECT count(*) FROM monitoring_pendingassessment", [])[0][0])


def wait_drained(db: str, limit_seconds: float) -> float | None:
    """Seconds until nothing is pending (None: still pending after `limit_seconds`)."""
    started = time.monotonic()
    while time.monotonic() - started <= limit_seconds:
        if pending_count(db) == 0:
            return round(time.monotonic() - started, 1)
        time.sleep(1)
    return None


def check_assessed_once(db: str, outcomes: list[Outcome], started_at: datetime) -> dict[str, Any]:
    """Each update stored first (202) is named by exactly one `daily_update.assess` event; each
    update assessed at once (200/201) by none."""
    acked = [o for o in outcomes if o.kind == "update" and o.status in ACKED]
    ids: dict[tuple[int, str], int] = {}
    people = sorted({o.meta["person"] for o in acked})
    for chunk in range(0, len(people), 5000):
        part = people[chunk: chunk + 5000]
        for person_id, day, update_id in db_query(
            db, "SELECT person_id, day, id FROM monitoring_dailyupdate WHERE person_id IN ("
                + ",".join(["%s"] * len(part)) + ")", part,
        ):
            ids[(person_id, str(day))] = update_id
    assessed: Counter[int] = Counter()
    for (data,) in db_query(db, "SELECT data FROM audit_auditevent WHERE action = 'daily_update.assess' AND at >= %s",
                            [started_at]):
        for update_id in (json.loads(data) if isinstance(data, str) else data).get("updates", []):
            assessed[update_id] += 1
    # Decision C: an Assessment row only when the assessment changed.
    (changes,) = db_query(db, "SELECT count(*) FROM monitoring_assessment WHERE source = 'daily_update' AND created_at >= %s",
                          [started_at])[0]
    twice = sum(1 for n in assessed.values() if n > 1)
    stored_first = [o for o in acked if o.status == 202]
    never = sum(1 for o in stored_first if assessed[ids.get((o.meta["person"], o.meta["day"]), -1)] == 0)
    sync_also = sum(
        1 for o in acked if o.status != 202 and assessed[ids.get((o.meta["person"], o.meta["day"]), -1)]
    )
    return {"stored_first": len(stored_first), "assessed_twice": twice, "stored_first_not_assessed": never,
            "assessed_at_once_and_again": sync_also, "assessment_rows_written": int(changes),
            "assessment_rows_per_update": round(int(changes) / max(1, len(acked)), 3)}


def phase(name: str, port: int, data: dict[str, Any], args: argparse.Namespace, rate: float,
          seconds: float, seed: int, used: set[int]) -> dict[str, Any]:
    """One phase at `rate`. `used`: people an earlier phase sent today's update for, left out (and
    this phase's added): a second update of the same (person, day) would be a second acknowledged
    update of one row, which the checks below would count as one update assessed twice."""
    log(f"{name}: {rate:.0f}/s for {seconds:.0f} s (load {loadavg()})")
    started_at = datetime.now(TZ)
    workload = _today_only(Workload(data, "updates", distinct=True, seed=seed))
    assert workload.pairs is not None
    workload.pairs = [pair for pair in workload.pairs if pair[1] not in used]
    if len(workload.pairs) < int(rate * seconds):
        # Checked before sending: running out mid-phase would leave requests of a closed session.
        raise SystemExit(f"{name} needs {int(rate * seconds):,} distinct people for today, the tokens hold "
                         f"{len(workload.pairs):,} not used by an earlier phase: generate more people and owners")
    outcomes = run_client(open_loop(f"http://127.0.0.1:{port}", workload, rate, seconds,
                                     timeout=args.client_timeout, max_connections=args.connections,
                                     raw=args.client == "raw"))
    summary = summarise(outcomes, seconds)
    used.update(o.meta["person"] for o in outcomes if o.kind == "update")
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)
        first = min((o.scheduled for o in outcomes), default=0.0)
        with open(args.log_dir / f"rush-{name}.jsonl", "w") as fh:
            for o in outcomes:
                fh.write(json.dumps({"status": o.status, "latency_ms": round(o.latency_ms, 1),
                                     "lag_ms": round(o.lag_ms, 1), "at_s": round(o.scheduled - first, 3),
                                     **o.meta}) + "\n")
    # From the last answer on: the backlog the rush left, assessed by the task worker.
    left = pending_count(args.db)
    drain_after_end = wait_drained(args.db, args.drain_seconds)
    check = check_stored(outcomes, started_at)
    once = check_assessed_once(args.db, outcomes, started_at)
    statuses = Counter(o.status for o in outcomes)
    acked = sum(n for s, n in statuses.items() if s in ACKED)
    other = sum(n for s, n in statuses.items() if s not in ACKED and s != 503)
    shed_without_retry = sum(1 for o in outcomes if o.status == 503 and not o.retry_after)
    result = {
        "offered_per_s": round(rate, 1), "seconds": seconds, "sent": len(outcomes),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "acknowledged_share": round(acked / max(1, len(outcomes)), 4),
        "answers_other_than_2xx_202_503": other, "shed_503_without_retry_after": shed_without_retry,
        "p50": summary["kinds"].get("update", {}).get("p50"), "p99": summary["kinds"].get("update", {}).get("p99"),
        "pending_drained_seconds_after_end": drain_after_end, "pending_at_end": left,
        "worker_assessed_per_s": round(left / drain_after_end, 1) if left and drain_after_end else None,
        "lost_or_mismatched": check["problems"], **once, "load_after": loadavg(),
    }
    log(f"  {result['statuses']}, acknowledged {result['acknowledged_share']:.1%}, drained in {drain_after_end} s, "
        f"assessed twice {once['assessed_twice']}, problems {check['problems'] or 'none'}")
    return result


def verdicts(rush: dict[str, Any], burst: dict[str, Any] | None) -> dict[str, bool]:
    out = {
        "rush_acknowledged_95": rush["acknowledged_share"] >= 0.95,
        "rush_none_lost": not rush["lost_or_mismatched"],
        "rush_none_assessed_twice": rush["assessed_twice"] == 0 and rush["stored_first_not_assessed"] == 0
        and rush["assessed_at_once_and_again"] == 0,
        "rush_pending_assessed_within_60s": rush["pending_drained_seconds_after_end"] is not None
        and rush["pending_drained_seconds_after_end"] <= 60,
    }
    if burst is not None:
        out["burst_only_2xx_202_503_retry_after"] = (
            burst["answers_other_than_2xx_202_503"] == 0 and burst["shed_503_without_retry_after"] == 0
        )
        out["burst_none_lost"] = not burst["lost_or_mismatched"]
        out["burst_none_assessed_twice"] = burst["assessed_twice"] == 0 and burst["stored_first_not_assessed"] == 0
    return out


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"Sustained daily-update rate: **{report['sustained_per_s']:.0f}/s** ({report['server']}, "
        f"{report['workers']} workers; {report.get('client', 'aiohttp')} client; load before {report['load_before']}).",
        (f"Rush and burst through the reverse proxy (scripts/nginx-front.sh), admitting {report['front']['admit_per_s']}/s"
         f" ({report['front']['factor']}× the sustained rate) and refusing the rest with 503 + Retry-After."
         if report.get("front") else "Rush and burst straight to the app server (no proxy in front)."),
        "",
        "| phase | offered/s | sent | answers | acknowledged | p99 ms | pending assessed after the end | assessed twice | lost | Assessment rows per acknowledged update (C) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("rush", "burst"):
        p = report.get(name)
        if not p:
            continue
        lines.append(
            f"| {name} | {p['offered_per_s']:.0f} | {p['sent']} | {p['statuses']} | {p['acknowledged_share']:.1%} "
            f"| {p['p99']} | {p['pending_drained_seconds_after_end']} s | {p['assessed_twice']} "
            f"| {len(p['lost_or_mismatched'])} | {p['assessment_rows_per_update']} |"
        )
    lines += ["", "Verdicts: " + ", ".join(f"{k} {'✓' if v else '✗'}" for k, v in report["verdicts"].items())]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("RUSH_DB", "postgres://root@127.0.0.1:5432/khaibao_rush"))
    parser.add_argument("--tokens", type=Path, required=True, help="JSON from bench/tokens.py")
    parser.add_argument("--server", default="granian")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--sustained", type=float, help="the sustained rate (skip measuring it)")
    parser.add_argument("--rush-factor", type=float, default=3.0)
    parser.add_argument("--rush-seconds", type=float, default=60)
    parser.add_argument("--burst-factor", type=float, default=10.0)
    parser.add_argument("--burst-seconds", type=float, default=30, help="0: no 10× burst")
    parser.add_argument("--drain-seconds", type=float, default=90, help="how long to wait for the backlog")
    parser.add_argument("--client-timeout", type=float, default=10.0, help="as a phone would give up")
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--front-factor", type=float, default=3.5,
                        help="send the rush and the burst through a reverse proxy (scripts/nginx-front.sh) that admits"
                             " this many times the sustained rate and refuses the rest with 503 + Retry-After, as"
                             " production's does (docs/operations.md); 0: straight to the app server")
    parser.add_argument("--client", choices=("raw", "aiohttp"), default="raw",
                        help="the open-loop client: bench/rawclient.py (default; about 60 %% of aiohttp's CPU per"
                             " request, on the cores the servers it measures share) or aiohttp")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--log-dir", type=Path, help="write every request's outcome here (rush-<phase>.jsonl)")
    parser.add_argument("--markdown", type=Path, help="only print the Markdown table of a JSON report")
    parser.add_argument("--check-log", type=Path, help="only check a phase's outcome log (--log-dir) against the database")
    parser.add_argument("--check-since", help="with --check-log: the phase's start (ISO time)")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0
    if args.check_log:
        django_setup(args.db)
        logged = [json.loads(line) for line in args.check_log.read_text().splitlines()]
        outcomes = [Outcome("update", r.pop("status"), r.pop("latency_ms"), r.pop("lag_ms", 0.0), False, r,
                            scheduled=r.pop("at_s", 0.0)) for r in logged]
        since = datetime.fromisoformat(args.check_since)
        print(json.dumps({**check_stored(outcomes, since), **check_assessed_once(args.db, outcomes, since)}, indent=1))
        return 0
    # The checks read the rows through the models (sealed answers): Django, on the bench database.
    django_setup(args.db)
    data = json.loads(args.tokens.read_text())
    report: dict[str, Any] = {"started": datetime.now(TZ).isoformat(), "server": args.server, "workers": args.workers,
                              "client": args.client, "load_before": loadavg()}
    server = Server(args.server, args.workers, args.port, args.db)
    os.environ.setdefault("RUSH_MODE", "1")
    server.start()
    worker = start_task_worker(args.db)
    try:
        if args.sustained:
            report["sustained_per_s"], report["sustained_steps"] = args.sustained, []
        else:
            report["sustained_per_s"], report["sustained_steps"] = sustained_rate(server, data, args)
        sustained = report["sustained_per_s"]
        port = server.port
        if args.front_factor > 0:
            port = front_start(args.port, int(args.front_factor * sustained))
            report["front"] = {"admit_per_s": int(args.front_factor * sustained), "factor": args.front_factor}
        used: set[int] = set()
        report["rush"] = phase("rush", port, data, args, args.rush_factor * sustained, args.rush_seconds, seed=31,
                               used=used)
        if args.burst_seconds > 0:
            report["burst"] = phase("burst", port, data, args, args.burst_factor * sustained, args.burst_seconds,
                                    seed=37, used=used)
    finally:
        if args.front_factor > 0:
            front_stop()
        server.stop()
        stop_process(worker)
    report["verdicts"] = verdicts(report["rush"], report.get("burst"))
    report["load_after"] = loadavg()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str))
    print(markdown(report))
    return 0 if all(report["verdicts"].values()) else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
