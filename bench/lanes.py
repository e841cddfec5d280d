"""What each middleware the API lane leaves out costs an API request, in process (issue 19 item 1).

    DEBUG=1 .venv/bin/python bench/lanes.py --db postgres://root@127.0.0.1:5432/khaibao_hot \
        --tokens var/bench/hot-tokens.json --rounds 3 --json var/bench/lanes.json

Targets: `echo` (a fixed JSON answer of a daily update's size behind ninja, no database, no
token: the middleware alone, least noisy), then the same requests as bench/load.py (daily updates and status reads with bearer tokens of many
household owners; `Accept-Encoding: gzip, deflate` as aiohttp and phones send) through Django's
test Client with bench/bench_settings.py, on these stacks:

* `full`   — settings.MIDDLEWARE, the pages' stack every API request took before issue 19;
* `lane`   — settings.API_MIDDLEWARE (khaibao/core/lanes.py);
* `+X`     — a ladder from the lane: each rung puts back one more left-out middleware X at its
  place in the full stack (in that stack's order, so auth finds sessions back): the difference
  from the rung before is what X costs an API request.

CPU ms per request of this process (`time.process_time`); the database server's CPU is not
counted (none of these middlewares query it for a bearer-token request). Rounds alternate the
stacks so that a busy moment of a shared machine falls on all of them.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://root@127.0.0.1:5432/khaibao_hot")
    parser.add_argument("--tokens", default="var/bench/hot-tokens.json")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--targets", default="echo,updates,status")
    parser.add_argument("--kept", action="store_true",
                        help="instead: a ladder from no middleware at all up to the lane, one kept piece at a time")
    parser.add_argument("--json", default="")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.client import ClientHandler

    from bench.load import Workload
    from khaibao.core.lanes import load_lane_middleware

    full = list(settings.MIDDLEWARE)
    lane = list(settings.API_MIDDLEWARE)
    left_out = [m for m in full if m not in lane]
    stacks: dict[str, list[str]] = {"full": full, "lane": lane}
    if args.kept:
        # What each piece the lane keeps costs: from nothing (Django + ninja alone) up to the lane.
        stacks = {"full": full, "none": []}
        for i, name in enumerate(lane, start=1):
            stacks[f"+{name.rsplit('.', 1)[-1]}"] = lane[:i]
    # A ladder: each rung puts back one more left-out middleware, in the full stack's order (so
    # that what one needs — auth needs sessions, django-otp needs auth — is already back).
    added: list[str] = []
    for name in [] if args.kept else left_out:
        added.append(name)
        stacks[f"+{name.rsplit('.', 1)[-1]}"] = [m for m in [*full, *lane] if m in lane or m in added]

    def client_for(middleware: list[str]) -> Client:
        class Handler(ClientHandler):
            def load_middleware(self, is_async: bool = False) -> None:
                load_lane_middleware(self, middleware, is_async=is_async)

        client = Client()
        client.handler = Handler(enforce_csrf_checks=False)
        return client

    clients = {name: client_for(mw) for name, mw in stacks.items()}
    data = json.loads(Path(args.tokens).read_text())
    gzip = {"Accept-Encoding": "gzip, deflate"}

    def send(client: Client, workload: Workload) -> None:
        req = workload.next()
        headers = {**req.headers, **gzip}
        if req.method == "GET":
            response = client.get(req.path, headers=headers)
        else:
            response = client.generic(req.method, req.path, req.body or b"", content_type="application/json",
                                      headers=headers)
        if response.status_code >= 300:
            raise SystemExit(f"{req.method} {req.path}: {response.status_code} {response.content[:300]!r}")

    targets = args.targets.split(",")
    samples: dict[str, dict[str, list[float]]] = {t: {s: [] for s in stacks} for t in targets}
    for round_no in range(args.rounds):
        for target in targets:
            for seed, (name, client) in enumerate(clients.items()):
                workload = Workload(data, target, seed=1000 * round_no + seed)
                for _ in range(args.warmup):
                    send(client, workload)
                cpu0 = time.process_time()
                for _ in range(args.requests):
                    send(client, workload)
                samples[target][name].append((time.process_time() - cpu0) * 1000 / args.requests)
        print(f"round {round_no + 1}/{args.rounds} done, load {os.getloadavg()[0]:.1f}", flush=True)

    results: dict[str, Any] = {"load": os.getloadavg(), "targets": {}}
    for target in targets:
        med = {name: statistics.median(values) for name, values in samples[target].items()}
        # A piece's cost from the rounds' minimums: on a shared machine the other load only ever
        # adds CPU time (caches, scheduler), so the least a stack took is the closest to its own.
        low = {name: min(values) for name, values in samples[target].items()}
        print(f"\n{target}: CPU ms per request, median of {args.rounds} rounds (min–max); a piece's cost"
              " from the minimums")
        rows = {}
        base = "none" if args.kept else "lane"
        previous = base
        for name, values in samples[target].items():
            extra = low[name] - low[previous] if name.startswith("+") else 0.0
            print(f"  {name:36s} {med[name]:6.3f} ({min(values):.3f}–{max(values):.3f})"
                  + (f"   this piece {extra * 1000:+6.0f} µs" if name.startswith("+") else ""))
            rows[name] = {"median_ms": round(med[name], 4), "min_ms": round(min(values), 4),
                          "max_ms": round(max(values), 4), "piece_us": round(extra * 1000, 1)}
            if name.startswith("+"):
                previous = name
        print(f"  full − {base}: {(med['full'] - med[base]) * 1000:.0f} µs per request (medians),"
              f" {(low['full'] - low[base]) * 1000:.0f} µs (minimums)")
        results["targets"][target] = rows
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
