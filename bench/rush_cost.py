"""What a daily update costs assessed and stored first (rush mode), closed loop, same server, one run.

    flock /tmp/kb-bench.lock .venv/bin/python bench/rush_cost.py --db postgres://root@127.0.0.1:5432/khaibao_rush \
        --tokens var/bench/rush-tokens.json [--rounds 2] [--seconds 8]

Alternates three servers on the same database: the daily update as usual (assessed, 200/201, no
overload check), and with every request marked for rush mode (`OVERLOAD_MAX_QUEUE_MS=1`,
`RUSH_MAX_QUEUE_MS=0`: each request that waited over a millisecond is stored first, and the process
then holds rush mode), so each answer is a 202 — stored first through the ninja view (`RUSH_LANE=0`)
and through the rush lane (api/rush.py). The ratio stored-first / assessed is what bench/rush.py's "≥ 95 % acknowledged
at 3×" needs to be about 3 or more (bench/RESULTS.md, "Issue 19, rush, second pass").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench.load import ROOT, Outcome, Server, Workload, _send, loadavg, log, run_client


async def closed_loop(base: str, workload: Workload, concurrency: int, seconds: float) -> tuple[float, Counter[int]]:
    """bench/load.py's closed loop, counting every status: 2xx and 202 answered per second."""
    loop = asyncio.get_running_loop()
    out: list[Outcome] = []
    stop = loop.time() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency),
                                     timeout=aiohttp.ClientTimeout(total=10)) as session:
        async def client() -> None:
            while loop.time() < stop:
                await _send(session, base, workload.next(), loop.time(), loop, out)

        await asyncio.gather(*(client() for _ in range(concurrency)))
    return sum(1 for o in out if 200 <= o.status < 300) / seconds, Counter(o.status for o in out)


def run(mode: str, args: argparse.Namespace, data: dict, seed: int) -> tuple[float, dict[str, int]]:
    # Assessed: no overload check at all (nothing shed, nothing stored first).
    env = {"RUSH_MODE": "1", "OVERLOAD_MAX_QUEUE_MS": "0", "RUSH_LANE": "1"}
    if mode != "assessed":
        env |= {"OVERLOAD_MAX_QUEUE_MS": "1", "RUSH_MAX_QUEUE_MS": "0", "RUSH_HOLD_SECONDS": "600"}
    if mode == "stored_first_view":
        env["RUSH_LANE"] = "0"
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    server = Server(args.server, args.workers, args.port, args.db)
    try:
        server.start()
        base = f"http://127.0.0.1:{args.port}"
        workload = Workload(data, "updates", seed=seed)
        run_client(closed_loop(base, workload, args.clients, 2))
        rate, statuses = run_client(closed_loop(base, workload, args.clients, args.seconds))
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return rate, {str(k): v for k, v in sorted(statuses.items())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--tokens", type=Path, required=True)
    parser.add_argument("--server", default="granian")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8768)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data = json.loads(args.tokens.read_text())
    out: dict[str, list] = {"assessed": [], "stored_first_view": [], "stored_first": []}
    for r in range(args.rounds):
        for mode in out:
            rate, statuses = run(mode, args, data, seed=100 + r)
            out[mode].append(rate)
            log(f"{mode:13s} {rate:6.0f}/s {statuses} (load {loadavg()})")
    assessed, view, lane = (max(out[m]) for m in out)
    log(f"best: assessed {assessed:.0f}/s, stored first through the view {view:.0f}/s ({view / assessed:.2f}), "
        f"through the rush lane {lane:.0f}/s ({lane / assessed:.2f})")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
