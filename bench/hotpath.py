"""CPU and SQL queries per request of the hot paths, in process (no server, no network).

    .venv/bin/python bench/hotpath.py --db postgres://root@127.0.0.1:5432/khaibao_hot \
        --tokens var/bench/hot-tokens.json --requests 300
    .venv/bin/python bench/hotpath.py ... --profile updates      # pyinstrument of that target
    .venv/bin/python bench/hotpath.py ... --targets updates,rush  # `rush`: the same update stored first (202)

Each target's requests go through Django's test Client — on the API lane for /api/ and the
in-product references, as production serves them — against the product's URLs with
bench/bench_settings.py (DEBUG off), the same requests bench/load.py sends (bearer tokens of many
household owners, Idempotency-Key). Per target: a warm-up, then **CPU ms per request**
(`time.process_time`, this process only: the database server's CPU is not counted) over
`--requests` requests, and **SQL queries per request** counted on a separate pass with
CaptureQueriesContext (capturing costs CPU itself). The `ninja` target is the minimal Django +
ninja insert (bench/reference_urls.py); "R3 on CPU" = its CPU per request ÷ the daily update's.

The test Client's own cost (building the request, reading the response) is in every figure,
reference included; it is small beside the product's paths but makes the reference a bit dearer
than under a real server, so R3 here is slightly optimistic compared with bench/load.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = ("ninja", "updates", "declarations", "status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://root@127.0.0.1:5432/khaibao_hot")
    parser.add_argument("--tokens", default="var/bench/hot-tokens.json")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per target")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--queries-sample", type=int, default=20, help="requests whose queries are counted")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--profile", default="", help="a target to profile with pyinstrument instead")
    parser.add_argument("--cpu-profile", default="", help="with --profile: cProfile on CPU time, sorted by this"
                        " (tottime, cumtime) instead of pyinstrument (wall time)")
    parser.add_argument("--profile-lines", type=int, default=45)
    parser.add_argument("--show-queries", action="store_true", help="print one request's SQL per target")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the targets this many times, alternately, and report medians (min–max):"
                             " on a shared machine one round can land on a busy moment")
    parser.add_argument("--json", default="", help="write the results here too")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    # The `rush` target's requests are all stamped 1.5 s late: each is stored first, none refused as a
    # standing queue (only stamped requests are checked: the other targets send none).
    os.environ.setdefault("OVERLOAD_STANDING_QUEUE_MS", "0")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.load import Workload

    data = json.loads(Path(args.tokens).read_text())
    # As production serves them: /api/ through the API's own middleware lane (khaibao/core/lanes.py,
    # issue 19), other paths through the full stack. A tree from before the lanes has one stack.
    try:
        from khaibao.core.testing import ApiLaneClient

        client: Client = ApiLaneClient()
    except ImportError:
        client = Client()

    def send(workload: Workload) -> int:
        req = workload.next()
        if workload.target == "rush":
            # Queued 1.5 s by the proxy's stamp (over OVERLOAD_MAX_QUEUE_MS, under RUSH_MAX_QUEUE_MS): stored
            # first by the rush lane (api/rush.py), 202.
            req.headers["X-Request-Start"] = f"t={time.time() - 1.5:.3f}"
        if req.method == "GET":
            response = client.get(req.path, headers=req.headers)
        else:
            response = client.generic(req.method, req.path, req.body or b"", content_type="application/json",
                                      headers=req.headers)
        if response.status_code >= 300:
            raise SystemExit(f"{req.method} {req.path}: {response.status_code} {response.content[:300]!r}")
        return response.status_code

    if args.profile:
        workload = Workload(data, args.profile, seed=7)
        for _ in range(args.warmup):
            send(workload)
        if args.cpu_profile:
            # cProfile on process CPU time: where the CPU goes, not where the request waits.
            import cProfile
            import pstats

            cpu_profiler = cProfile.Profile(time.process_time)
            cpu_profiler.enable()
            for _ in range(args.requests):
                send(workload)
            cpu_profiler.disable()
            pstats.Stats(cpu_profiler).sort_stats(args.cpu_profile).print_stats(args.profile_lines)
            return
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.requests):
            send(workload)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return

    targets = args.targets.split(",")
    workloads = {target: Workload(data, target, seed=seed) for seed, target in enumerate(targets, start=11)}
    results: dict[str, Any] = {}
    rounds: list[dict[str, float]] = []
    for round_no in range(args.rounds):
        cpu_of: dict[str, float] = {}
        for target in targets:
            workload = workloads[target]
            for _ in range(args.warmup):
                send(workload)
            if round_no == 0:
                with CaptureQueriesContext(connection) as ctx:
                    for _ in range(args.queries_sample):
                        send(workload)
                results[target] = {"queries": round(len(ctx.captured_queries) / args.queries_sample, 1)}
                if args.show_queries:
                    with CaptureQueriesContext(connection) as one:
                        send(workload)
                    print(f"--- {target}: {len(one.captured_queries)} queries")
                    for q in one.captured_queries:
                        print("   ", q["sql"][:220])
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for _ in range(args.requests):
                send(workload)
            cpu = (time.process_time() - cpu0) * 1000 / args.requests
            wall = (time.perf_counter() - wall0) * 1000 / args.requests
            cpu_of[target] = cpu
            print(f"{target:13s} queries/request {results[target]['queries']:5.1f}   CPU ms/request {cpu:6.2f}"
                  f"   wall ms/request {wall:6.2f}", flush=True)
        if "ninja" in cpu_of and "updates" in cpu_of:
            cpu_of["r3_cpu"] = cpu_of["ninja"] / cpu_of["updates"]
            print(f"R3 on CPU (ninja insert CPU ÷ daily update CPU): {cpu_of['r3_cpu']:.3f}", flush=True)
        rounds.append(cpu_of)
    for key in [*targets, "r3_cpu"]:
        values = sorted(r[key] for r in rounds if key in r)
        if not values:
            continue
        summary = {"median": round(statistics.median(values), 3), "min": round(values[0], 3),
                   "max": round(values[-1], 3), "rounds": len(values)}
        results.setdefault(key, {})["cpu_ms" if key != "r3_cpu" else "r3"] = summary
        if args.rounds > 1:
            print(f"{key:13s} median {summary['median']:.3f} (min {summary['min']:.3f} – max {summary['max']:.3f})"
                  f" over {len(values)} rounds")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
