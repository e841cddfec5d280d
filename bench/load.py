"""Load test against a real HTTP server on 127.0.0.1, with references measured in the same run.

    make bench-load                       # PostgreSQL: prepare, both servers, references, burst
    .venv/bin/python bench/load.py --db postgres://root@127.0.0.1:5432/khaibao_load \
        --servers gunicorn-sync,granian --runs 3 --burst --json var/bench/load.json
    .venv/bin/python bench/load.py --db sqlite:///var/bench/load.sqlite3 --targets updates   # embedded mode

The driver is open-loop (wrk2-style): requests are *scheduled* at a fixed rate and sent on time
whether or not earlier ones have answered, and latency is counted from the scheduled time, so a
stalled server shows up as latency instead of silently lowering the offered rate (coordinated
omission). It is asyncio + aiohttp on uvloop (both in the `dev` extra) in its own process: it logs
every request's outcome, which the burst checker needs. On this 2-core machine the client shares
the CPU with the server: on asyncio's own loop it took about a core at 1,000 requests a second and
fell up to 1.4 s behind its schedule in the 10× burst; uvloop makes each request cheaper to send
and read (`run_client`). Each request carries `X-Request-Start: t=<send time>` as the reverse proxy
would, so the product's overload shedding (khaibao/core/overload.py) sees the queueing time.

For each *target* (a URL mix) and server, the sustained rate is found by stepping the offered
rate: a short closed-loop probe estimates capacity X, then open-loop steps at fractions of X
(`--fractions`) of `--step-seconds` each; the sustained rate is the highest step whose p99 is
≤ `--p99-ms` (100) with < 0.1% errors. Targets:

* `hello`       — bare WSGI app (bench/hello_wsgi.py) on the same server: the server's floor;
* `ninja`       — minimal Django + ninja endpoint upserting one daily-update row (bench/reference_urls.py);
* `updates`     — the product's daily update, PUT /api/v1/people/{id}/updates/{day} (bearer token
                  of the household owner; auth, validation, upsert, assessment, latest status, audit);
* `checkins`    — POST /api/v1/checkins (issue 20): one household member at one of 200 venues, with an
                  Idempotency-Key — measured beside `updates` in the same run;
* `declarations`— POST /api/v1/people/{id}/declarations with an Idempotency-Key;
* `status`      — GET /api/v1/people/{id}/status;
* `status-warm` — the same for the people of the first 1,000 owners, each read once before it is timed: a
                  later read of the day (the pass code exists); `status` is nearly always the day's first read,
                  which also writes the person's code;
* `mix`         — 70% updates, 10% declarations, 15% status, 4% org compliance, 1% official dashboard;
* `floor`       — the least the daily update's contract needs (token lookup + its four rows in one
                  transaction, constant values; bench/reference_urls.py): floor/s ÷ ninja/s is the
                  ceiling on R3 for this stack;
* `floor-declaration` — the same for a new declaration (PostgreSQL only);
* `ninja-read`  — one SELECT behind a minimal ninja endpoint: the reference for status reads;
* `bare`, `bare-read` — the same upsert and SELECT in the **bare reference** (bench/bare/: its own
                  minimal settings, Django + ninja and nothing of the product — no middleware, no
                  apps), on the same server program: R3 is reported against both it and `ninja`
                  (issue 19: the in-product references hide what the product's stack costs them).

pgbench (bench/pgbench_upsert.sql, one upsert per transaction) runs in the same session with as
many clients as the server has workers × threads; R1 = updates/s ÷ pgbench tps, R3 = updates/s ÷
ninja insert/s. Worker memory: RSS of every server worker and of `manage.py run_worker` (which
runs during the mix, as in production). Database bytes per million updates: growth of the
database (and of the daily-update, assessment and audit tables) ÷ updates acknowledged.

`--burst`: the mix at `--burst-factor` (10) × the sustained mix rate for `--burst-seconds` (60),
through nginx in front admitting `--burst-front-factor` (3.5) × that rate (scripts/nginx-front.sh,
as production's proxy; 0: straight to the server):
every (person, day) of the burst's updates is distinct, every acknowledged update and
declaration is logged, and afterwards `check_burst` compares with the database: each acked
update's row holds exactly its payload and has exactly one audit event, each acked declaration
exists exactly once, each shed (503) update left no trace, and no 5xx other than 503 with
Retry-After was answered.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import uvloop

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the repository, for `bench.*`
    sys.path.insert(0, str(ROOT))

from bench.rawclient import RawPool, request_start  # noqa: E402

VENV = ROOT / ".venv" / "bin"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_DB = "postgres://root@127.0.0.1:5432/khaibao_load"
MIX = (("update", 70), ("declaration", 10), ("status", 15), ("compliance", 4), ("dashboard", 1))
SYMPTOM_CHOICES = ([], [], [], ["cough"], ["fever"], ["cough", "sore_throat"])
# Targets served by the bare reference (bench/bare/: its own settings, no product at all).
BARE_TARGETS = ("bare", "bare-read")
# Target name → the request kind whose rate and latency it reports.
TARGET_KIND = {"updates": "update", "declarations": "declaration", "checkins": "checkin", "mix": "update",
               "status-warm": "status"}
# `status-warm` reads the people of this many owners, each read once before it is timed: a later
# read of the day, when the person's pass code exists (`status`, over every owner, is nearly always
# the day's first read, which also writes the code).
WARM_OWNERS = 1000
SERVERS = {
    # name: (program, worker class / threads)
    "gunicorn-sync": ("gunicorn", "sync", 1),
    "gunicorn-gthread": ("gunicorn", "gthread", 4),
    "granian": ("granian", "wsgi", 1),
    "granian-t4": ("granian", "wsgi", 4),
}


def run_client(coroutine: Any) -> Any:
    """Run a load client's coroutine on uvloop (see the module's docstring)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", flush=True)


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# --- the server ---------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    workers: int
    port: int
    db: str
    app: str = "khaibao.wsgi:application"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def threads(self) -> int:
        return SERVERS[self.name][2]

    def command(self) -> list[str]:
        program, kind, threads = SERVERS[self.name]
        if program == "gunicorn":
            cmd = [str(VENV / "gunicorn"), self.app, "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                   "--worker-class", kind, "--backlog", "2048", "--keep-alive", "5", "--timeout", "30",
                   "--graceful-timeout", "10", "--log-level", "warning"]
            if kind == "gthread":
                cmd += ["--threads", str(threads)]
            return cmd
        return [str(VENV / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", str(self.workers), "--blocking-threads", str(threads), "--backlog", "2048",
                "--workers-kill-timeout", "10", "--no-access-log", "--log-level", "warning", self.app]

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.db, "DJANGO_SETTINGS_MODULE": "bench.bench_settings",
               "DEBUG": "1", "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=env, start_new_session=True)
        probe = {"bench.hello_wsgi": "/", "bench.bare.wsgi": "/bare/ready"}.get(self.app.split(":")[0], "/bench/select1")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} exited with {self.proc.returncode}")
            try:
                out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                      f"http://127.0.0.1:{self.port}{probe}"], capture_output=True, text=True, timeout=5)
                if out.stdout == "200":
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.name} did not answer on port {self.port}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def worker_rss_mb(self) -> list[float]:
        assert self.proc is not None
        return [rss_mb(pid) for pid in descendants(self.proc.pid)]


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """utime + stime of each process (seconds of CPU it has used so far)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def backend_pids(db: str) -> list[int]:
    """PostgreSQL backends connected to the bench database (the server's connections)."""
    if not db.startswith("postgres"):
        return []
    import psycopg

    with psycopg.connect(db) as conn:
        return [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )]


class CpuMeter:
    """CPU used by the server's processes and by its database backends between start and stop.

    On a machine shared with other work, CPU per request is far steadier than requests per
    second: it is what the request costs, whoever else is running. 2,000 ms of CPU per second
    on 2 cores ÷ (app + database ms per request) bounds the rate on an idle machine.
    """

    def __init__(self, server: Server) -> None:
        self.server = server

    def __enter__(self) -> CpuMeter:
        assert self.server.proc is not None
        self.app0 = cpu_seconds(descendants(self.server.proc.pid))
        self.db0 = cpu_seconds(backend_pids(self.server.db))
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server.proc is not None
        app1 = cpu_seconds(descendants(self.server.proc.pid))
        db1 = cpu_seconds(backend_pids(self.server.db))
        self.app = sum(v - self.app0.get(k, 0.0) for k, v in app1.items())
        self.db = sum(v - self.db0.get(k, 0.0) for k, v in db1.items())


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


# --- the requests -------------------------------------------------------------------------------


@dataclass
class Request:
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Outcome:
    kind: str
    status: int  # 0: no answer (connection error or client timeout)
    latency_ms: float
    lag_ms: float
    retry_after: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    # When it was due (the client loop's clock, seconds): a run's timeline (bench/rush.py --log-dir).
    scheduled: float = 0.0


class Workload:
    """Builds requests for one target; `distinct` hands out each (person, day) at most once."""

    def __init__(self, data: dict[str, Any], target: str, *, distinct: bool = False, seed: int = 1) -> None:
        self.target = target
        self.rng = random.Random(seed)
        self.owners = data["owners"][:WARM_OWNERS] if target == "status-warm" else data["owners"]
        self.official = data["official"]
        self.org_admin = data["org_admin"]
        self.org_unit = data["org_unit"]
        self.venues = data.get("venues") or []
        today = datetime.now(TZ).date()
        self.days = [today, today - timedelta(days=1)]
        self.pairs: list[tuple[int, int, date]] | None = None
        if distinct:
            pairs = [(o, p, d) for d in self.days for o, owner in enumerate(self.owners) for p in owner["people"]]
            self.rng.shuffle(pairs)
            self.pairs = pairs
        kinds, weights = zip(*MIX, strict=True)
        self.kinds, self.weights = list(kinds), list(weights)

    def _owner_person(self) -> tuple[str, int]:
        owner = self.owners[self.rng.randrange(len(self.owners))]
        return owner["token"], self.rng.choice(owner["people"])

    def next(self) -> Request:
        kind = self.target
        if kind == "mix":
            kind = self.rng.choices(self.kinds, self.weights)[0]
        kind = {"updates": "update", "declarations": "declaration", "checkins": "checkin",
                "status-warm": "status", "rush": "update"}.get(kind, kind)
        key = str(uuid.uuid4())
        if kind in ("update", "floor"):
            if self.pairs is not None:
                if not self.pairs:
                    raise SystemExit("the burst ran out of distinct (person, day) pairs: use more owners")
                o, person, day = self.pairs.pop()
                token = self.owners[o]["token"]
            else:
                token, person = self._owner_person()
                day = self.rng.choice(self.days)
            payload = {
                "symptoms": self.rng.choice(SYMPTOM_CHOICES),
                "temperature": round(self.rng.uniform(36.0, 37.4), 1),
                "feeling": "well" if self.rng.random() < 0.9 else "unwell",
            }
            if kind == "floor":
                return Request("floor", "PUT", f"/bench/ninja/floor/{person}/{day.isoformat()}",
                               {"Authorization": f"Bearer {token}"}, json.dumps({"person": person, **payload}).encode())
            return Request("update", "PUT", f"/api/v1/people/{person}/updates/{day.isoformat()}",
                           {"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                           json.dumps(payload).encode(),
                           {"person": person, "day": day.isoformat(), "key": key, "hash": payload_hash(payload)})
        if kind in ("declaration", "floor-declaration"):
            token, person = self._owner_person()
            body = {"travel": [], "symptoms": [], "exposures": [], "conditions": [], "pregnant": False,
                    "commitment": True, "consent": True}
            path = f"/api/v1/people/{person}/declarations" if kind == "declaration" else f"/bench/ninja/floor-declaration/{person}"
            return Request(kind, "POST", path, {"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                           json.dumps(body).encode(), {"person": person, "key": key})
        if kind == "checkin":
            # Issue 20: a venue check-in of one household member, beside the daily update.
            token, person = self._owner_person()
            body = {"venue_code": self.rng.choice(self.venues), "person_ids": [person]}
            return Request("checkin", "POST", "/api/v1/checkins", {"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                           json.dumps(body).encode(), {"person": person, "key": key})
        if kind == "status":
            token, person = self._owner_person()
            return Request("status", "GET", f"/api/v1/people/{person}/status", {"Authorization": f"Bearer {token}"})
        if kind == "compliance":
            return Request("compliance", "GET", f"/api/v1/orgs/{self.org_unit}/compliance",
                           {"Authorization": f"Bearer {self.org_admin}"})
        if kind == "dashboard":
            return Request("dashboard", "GET", "/api/v1/stats/summary?province=1",
                           {"Authorization": f"Bearer {self.official}"})
        if kind == "ninja":
            token, person = self._owner_person()
            body = {"person": person, "symptoms": [], "temperature": 36.6, "feeling": "well"}
            return Request("ninja", "POST", "/bench/ninja/insert", {}, json.dumps(body).encode())
        if kind == "bare":
            token, person = self._owner_person()
            body = {"person": person, "symptoms": [], "temperature": 36.6, "feeling": "well"}
            return Request("bare", "POST", "/bare/insert", {}, json.dumps(body).encode())
        if kind == "bare-read":
            token, person = self._owner_person()
            return Request("bare-read", "GET", f"/bare/read/{person}", {})
        if kind == "echo":
            return Request("echo", "GET", "/bench/ninja/echo", {})
        if kind == "ninja-read":
            token, person = self._owner_person()
            return Request("ninja-read", "GET", f"/bench/ninja/read/{person}", {})
        if kind == "hello":
            return Request("hello", "GET", "/", {})
        raise ValueError(kind)


def payload_hash(payload: dict[str, Any]) -> str:
    symptoms = ",".join(payload["symptoms"])
    return hashlib.sha256(f"{symptoms}|{payload['temperature']:.1f}|{payload['feeling']}".encode()).hexdigest()[:16]


async def _send(session: aiohttp.ClientSession, base: str, req: Request, scheduled: float,
                loop: asyncio.AbstractEventLoop, out: list[Outcome]) -> None:
    sent = loop.time()
    headers = {**req.headers, "X-Request-Start": request_start()}
    if req.body is not None:
        headers["Content-Type"] = "application/json"
    status, retry_after = 0, False
    try:
        async with session.request(req.method, base + req.path, data=req.body, headers=headers) as resp:
            await resp.read()
            status = resp.status
            retry_after = "Retry-After" in resp.headers
    except (TimeoutError, aiohttp.ClientError):
        status = 0
    out.append(_outcome(req, status, retry_after, scheduled, sent, loop.time()))


async def _send_raw(pool: RawPool, req: Request, scheduled: float, timeout: float,
                    loop: asyncio.AbstractEventLoop, out: list[Outcome]) -> None:
    # `_send` through bench/rawclient.py (the stamp is written by the pool as the request leaves).
    sent = loop.time()
    status, retry_after = await pool.request(req.method, req.path, req.headers, req.body, timeout=timeout)
    out.append(_outcome(req, status, retry_after, scheduled, sent, loop.time()))


def _outcome(req: Request, status: int, retry_after: bool, scheduled: float, sent: float, done: float) -> Outcome:
    # Latency from when the request was due (an open loop's late start counts), lag until it left.
    return Outcome(req.kind, status, (done - scheduled) * 1000, (sent - scheduled) * 1000, retry_after, req.meta,
                   scheduled=scheduled)


async def open_loop(base: str, workload: Workload, rate: float, seconds: float, *, timeout: float = 10.0,
                    max_connections: int = 1000, raw: bool = False) -> list[Outcome]:
    """Send `rate` requests a second for `seconds`, on schedule; wait for the stragglers.

    `raw`: through bench/rawclient.py instead of aiohttp — the same requests for about 60 % of the
    client's CPU (bench/rush.py uses it: its rushes offer 500–3,700 requests a second)."""
    loop = asyncio.get_running_loop()
    out: list[Outcome] = []
    if raw:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        pool = RawPool(host, int(port), limit=max_connections)
        try:
            await _schedule(lambda req, due: _send_raw(pool, req, due, timeout, loop, out), workload, rate, seconds)
        finally:
            pool.close()
        return out
    connector = aiohttp.TCPConnector(limit=max_connections, limit_per_host=max_connections)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        await _schedule(lambda req, due: _send(session, base, req, due, loop, out), workload, rate, seconds)
    return out


async def _schedule(send: Callable[[Request, float], Awaitable[None]], workload: Workload, rate: float,
                    seconds: float) -> None:
    # Each request started when it is due (open loop), then every one of them awaited. Between
    # two due times the loop sleeps at least a millisecond and then starts all that came due: a
    # shorter sleep returns at once (the event loop's timers have a millisecond's resolution), and
    # the client spun — 26 wake-ups a request at 800/s, CPU the servers it measures did not get.
    loop = asyncio.get_running_loop()
    tasks = []
    total = int(rate * seconds)
    start = loop.time() + 0.05
    i = 0
    while i < total:
        now = loop.time()
        while i < total and start + i / rate <= now:
            tasks.append(asyncio.create_task(send(workload.next(), start + i / rate)))
            i += 1
        if i < total:
            await asyncio.sleep(max(0.001, min(0.002, start + i / rate - loop.time())))
    await asyncio.gather(*tasks)


async def closed_loop(base: str, workload: Workload, concurrency: int, seconds: float) -> tuple[float, int]:
    """Requests answered per second with `concurrency` clients each sending back to back."""
    loop = asyncio.get_running_loop()
    out: list[Outcome] = []
    stop = loop.time() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
        async def client() -> None:
            while loop.time() < stop:
                await _send(session, base, workload.next(), loop.time(), loop, out)

        await asyncio.gather(*(client() for _ in range(concurrency)))
    ok = sum(1 for o in out if 200 <= o.status < 300)
    return ok / seconds, len(out)


def summarise(outcomes: list[Outcome], seconds: float) -> dict[str, Any]:
    by_kind: dict[str, Any] = {}
    for kind in sorted({o.kind for o in outcomes}):
        rows = [o for o in outcomes if o.kind == kind]
        lat = [o.latency_ms for o in rows]
        by_kind[kind] = {
            "sent": len(rows),
            "ok_per_s": round(sum(1 for o in rows if 200 <= o.status < 300) / seconds, 1),
            "p50": _r(pct(lat, 50)), "p95": _r(pct(lat, 95)), "p99": _r(pct(lat, 99)),
        }
    statuses = Counter(o.status for o in outcomes)
    errors = sum(n for s, n in statuses.items() if not 200 <= s < 300)
    return {
        "sent": len(outcomes),
        "errors": errors,
        "error_rate": round(errors / max(1, len(outcomes)), 5),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "shed_503_with_retry_after": sum(1 for o in outcomes if o.status == 503 and o.retry_after),
        "driver_lag_p99_ms": _r(pct([o.lag_ms for o in outcomes], 99)),
        "kinds": by_kind,
        "p99_all": _r(pct([o.latency_ms for o in outcomes], 99)),
    }


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def read_each_status(base: str, owners: list[dict[str, Any]], concurrency: int) -> None:
    """Read every person of `owners` once (the day's pass code made), `concurrency` at a time."""
    todo = [(owner["token"], person) for owner in owners for person in owner["people"]]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        async def reader() -> None:
            while todo:
                token, person = todo.pop()
                async with session.get(f"{base}/api/v1/people/{person}/status",
                                       headers={"Authorization": f"Bearer {token}"}) as resp:
                    await resp.read()

        await asyncio.gather(*(reader() for _ in range(concurrency)))


def step_search(server: Server, data: dict[str, Any], target: str, args: argparse.Namespace,
                concurrency: int) -> dict[str, Any]:
    """Closed-loop capacity probe, then open-loop steps; the highest step meeting the SLO."""
    base = f"http://127.0.0.1:{server.port}"
    # Untimed warm-up: every worker process loads its URL patterns, schemas and connection on
    # its first requests; that belongs to start-up, not to the rate.
    run_client(closed_loop(base, Workload(data, target, seed=3), concurrency, args.warmup_seconds))
    if target == "status-warm":
        run_client(read_each_status(base, data["owners"][:WARM_OWNERS], concurrency))
    with CpuMeter(server) as meter:
        probe, answered = run_client(closed_loop(base, Workload(data, target, seed=7), concurrency, args.probe_seconds))
    cpu = {
        "app_ms_per_request": round(meter.app * 1000 / max(1, answered), 2),
        "db_ms_per_request": round(meter.db * 1000 / max(1, answered), 2),
    }
    cpu["idle_2core_bound_per_s"] = round(2000 / max(0.01, cpu["app_ms_per_request"] + cpu["db_ms_per_request"]))
    log(f"  {target:12s} closed loop ({concurrency} clients): {probe:.1f}/s; CPU per request app"
        f" {cpu['app_ms_per_request']} ms + database {cpu['db_ms_per_request']} ms")
    key = TARGET_KIND.get(target, target)
    steps = []
    best: dict[str, Any] | None = None

    def step(rate: float) -> bool:
        outcomes = run_client(open_loop(base, Workload(data, target, seed=int(rate)), rate, args.step_seconds))
        s = summarise(outcomes, args.step_seconds)
        p99 = s["kinds"].get(key, {}).get("p99")
        ok = p99 is not None and p99 <= args.p99_ms and s["error_rate"] < 0.001
        steps.append({"offered_per_s": round(rate, 1), "meets_slo": ok, "load": loadavg(), **s})
        log(f"  {target:12s} {rate:7.1f}/s offered: {key} p50/p95/p99 "
            f"{s['kinds'].get(key, {}).get('p50')}/{s['kinds'].get(key, {}).get('p95')}/{p99} ms, "
            f"errors {s['error_rate']:.2%}, driver lag p99 {s['driver_lag_p99_ms']} ms {'✓' if ok else '✗'}")
        return ok

    # Upwards through the fractions of the probe until a step misses the SLO; when even the
    # first misses, downwards by halves (a loaded machine may not meet it near capacity at all).
    for i, fraction in enumerate(args.fractions):
        rate = max(1.0, probe * fraction)
        if step(rate):
            best = steps[-1]
            continue
        if i == 0:
            while rate > 2 and best is None:
                rate /= 2
                if step(rate):
                    best = steps[-1]
        break
    sustained = None
    if best is not None:
        sustained = {
            "offered_per_s": best["offered_per_s"],
            "ok_per_s": {k: v["ok_per_s"] for k, v in best["kinds"].items()},
            "latency": {k: {q: v[q] for q in ("p50", "p95", "p99")} for k, v in best["kinds"].items()},
        }
    return {"closed_loop_per_s": round(probe, 1), "concurrency": concurrency, "cpu": cpu, "steps": steps,
            "sustained": sustained}


# --- references outside HTTP ------------------------------------------------------------------------


def pgbench(db: str, clients: int, seconds: int) -> float | None:
    if not db.startswith("postgres") or shutil.which("pgbench") is None:
        return None
    import psycopg

    with psycopg.connect(db) as conn:
        (maxpid,) = conn.execute("SELECT max(id) FROM people_person").fetchone()  # type: ignore[misc]
    out = subprocess.run(
        ["pgbench", "-n", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), "-D", f"maxpid={maxpid}",
         "-f", str(ROOT / "bench" / "pgbench_upsert.sql"), db],
        capture_output=True, text=True, check=True,
    )
    match = re.search(r"tps = ([\d.]+)", out.stdout)
    return float(match.group(1)) if match else None


def cleanup_reference_rows(db: str) -> None:
    """The references write far-future days (REFERENCE_DAY_OFFSET): remove them."""
    sql = "DELETE FROM monitoring_dailyupdate WHERE day > CURRENT_DATE + 500"
    if db.startswith("postgres"):
        import psycopg

        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute(sql)
    else:
        import sqlite3

        with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
            conn.execute("DELETE FROM monitoring_dailyupdate WHERE day > date('now', '+500 days')")


SIZE_TABLES = ("monitoring_dailyupdate", "monitoring_assessment", "audit_auditevent")


def bytes_per_million_updates(db: str) -> dict[str, int] | None:
    """Each daily update writes one row in each of SIZE_TABLES (the update, its assessment, its
    audit event): their size with indexes ÷ their rows, × 1M. The table sizes grow page by page,
    so this is steadier than the growth of the database during a short run."""
    if not db.startswith("postgres"):
        return None
    import psycopg

    out = {}
    with psycopg.connect(db) as conn:
        for table in SIZE_TABLES:
            size, rows = conn.execute(
                f"SELECT pg_total_relation_size('{table}'), (SELECT count(*) FROM {table})"
            ).fetchone()  # type: ignore[misc]
            out[table] = round(size / max(1, rows) * 1e6)
    out["total"] = sum(out.values())
    return out


def db_query(db: str, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if db.startswith("postgres"):
        import psycopg

        with psycopg.connect(db) as conn:
            return conn.execute(sql, params).fetchall()
    import sqlite3

    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        return conn.execute(sql.replace("%s", "?"), params).fetchall()


def start_task_worker(db: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db, "DJANGO_SETTINGS_MODULE": "bench.bench_settings", "DEBUG": "1"}
    return subprocess.Popen([sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# --- the burst ---------------------------------------------------------------------------------------


def django_setup(db: str) -> None:
    """Django in this process, on the bench database: the checks read the daily updates through
    the models, since their health answers are sealed at rest (issue 18)."""
    os.environ["DATABASE_URL"] = db
    # Always the bench's settings: the Makefile exports DJANGO_SETTINGS_MODULE=khaibao.settings for
    # the tests, which refuse to load with DEBUG off and no production SECRET_KEY — `make bench-rush`
    # stopped there before its first request.
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    import django

    django.setup()


def check_updates_stored(outcomes: list[Outcome], started_at: datetime, acked_statuses: Any) -> list[str]:
    """Each acknowledged update's row holds its payload and has exactly one create/replace audit
    event; each refused (503) one left no trace. Needs `django_setup` first."""
    from khaibao.audit.models import AuditEvent
    from khaibao.monitoring.models import DailyUpdate

    acked = [o for o in outcomes if o.kind == "update" and o.status in acked_statuses]
    shed = [o for o in outcomes if o.kind == "update" and o.status == 503]
    people = sorted({o.meta["person"] for o in [*acked, *shed]})
    rows: dict[tuple[int, str], tuple[Any, ...]] = {}
    audits: Counter[tuple[int, str]] = Counter()
    for chunk in range(0, len(people), 5000):
        part = people[chunk: chunk + 5000]
        for person_id, day, symptoms, temperature, feeling in DailyUpdate.objects.filter(person_id__in=part).values_list(
            "person_id", "day", "symptoms", "temperature", "feeling"
        ):
            rows[(person_id, day.isoformat())] = (symptoms, temperature, feeling)
        for person_id, data in AuditEvent.objects.filter(
            action__in=["daily_update.create", "daily_update.replace"], at__gte=started_at, person_id__in=part
        ).values_list("person_id", "data"):
            audits[(person_id, data.get("day"))] += 1
    missing = mismatched = double = 0
    for o in acked:
        key = (o.meta["person"], o.meta["day"])
        if key not in rows:
            missing += 1
            continue
        symptoms, temperature, feeling = rows[key]
        stored = {"symptoms": symptoms, "temperature": float(temperature), "feeling": feeling}
        mismatched += payload_hash(stored) != o.meta["hash"]
        double += audits[key] != 1
    shed_written = sum(1 for o in shed if audits[(o.meta["person"], o.meta["day"])])
    return [f"{n} {what}" for n, what in (
        (missing, "acknowledged updates missing"), (mismatched, "acknowledged updates hold another payload"),
        (double, "acknowledged updates without exactly one audit event"), (shed_written, "refused updates written"),
    ) if n]


def check_burst(db: str, outcomes: list[Outcome], started_at: datetime) -> dict[str, Any]:
    """Compare every acknowledged write of the burst with the database."""
    acked = [o for o in outcomes if o.kind == "update" and 200 <= o.status < 300]
    shed = [o for o in outcomes if o.kind == "update" and o.status == 503]
    unknown = [o for o in outcomes if o.kind == "update" and o.status == 0]
    django_setup(db)
    problems = check_updates_stored(outcomes, started_at, range(200, 300))
    decl_acked = [o for o in outcomes if o.kind == "declaration" and 200 <= o.status < 300]
    keys = [o.meta["key"] for o in decl_acked]
    found: Counter[str] = Counter()
    for chunk in range(0, len(keys), 5000):
        part = keys[chunk: chunk + 5000]
        for (key,) in db_query(db, "SELECT key FROM api_idempotencyrecord WHERE key IN ("
                               + ",".join(["%s"] * len(part)) + ")", part):
            found[key] += 1
    decl_missing = sum(1 for k in keys if found[k] != 1)
    if decl_missing:
        problems.append(f"{decl_missing} acknowledged declarations without exactly one idempotency record")
    bad_5xx = sum(1 for o in outcomes if o.status >= 500 and not (o.status == 503 and o.retry_after))
    if bad_5xx:
        problems.append(f"{bad_5xx} answers 5xx other than 503 + Retry-After")
    return {
        "updates_acked": len(acked), "updates_shed_503": len(shed), "updates_no_answer": len(unknown),
        "declarations_acked": len(decl_acked), "other_5xx": bad_5xx, "problems": problems, "ok": not problems,
    }


# --- one session -------------------------------------------------------------------------------------


def run_server(name: str, args: argparse.Namespace, data: dict[str, Any], targets: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {"server": name, "workers": args.workers, "threads": SERVERS[name][2], "targets": {}}
    concurrency = max(4, 2 * args.workers * SERVERS[name][2])
    # References outside the product, each on the same server program with its own application:
    # the server's floor (a bare WSGI app) and the bare Django + ninja reference (bench/bare/).
    for app, own in (("bench.hello_wsgi:application", ("hello",)), ("bench.bare.wsgi:application", BARE_TARGETS)):
        wanted = [t for t in targets if t in own]
        if not wanted:
            continue
        server = Server(name, args.workers, args.port, args.db, app=app)
        server.start()
        try:
            for target in wanted:
                log(f"{name}: {target} ({app})")
                result["targets"][target] = step_search(server, data, target, args, concurrency)
        finally:
            server.stop()
    server = Server(name, args.workers, args.port, args.db)
    server.start()
    worker = None
    try:
        for target in [t for t in targets if t not in ("hello", *BARE_TARGETS)]:
            log(f"{name}: {target}")
            if target == "mix":
                worker = start_task_worker(args.db)
            result["targets"][target] = step_search(server, data, target, args, concurrency)
        result["bytes_per_million_updates"] = bytes_per_million_updates(args.db)
        result["worker_rss_mb"] = server.worker_rss_mb()
        if worker is not None:
            result["run_worker_rss_mb"] = rss_mb(worker.pid)
    finally:
        server.stop()
        if worker is not None:
            stop_process(worker)
        cleanup_reference_rows(args.db)
    return result


def front_start(upstream_port: int, admit_per_s: int) -> int:
    """A reverse proxy in front of the app server, as production runs one (scripts/nginx-front.sh,
    docs/operations.md "Overload"): it admits `admit_per_s` and refuses the rest with 503 +
    Retry-After. Returns its port."""
    port = upstream_port + 1
    env = {**os.environ, "FRONT_PORT": str(port), "UPSTREAM_PORT": str(upstream_port), "ADMIT_RATE": str(admit_per_s)}
    subprocess.run(["bash", "scripts/nginx-front.sh", "stop"], cwd=ROOT, env=env, check=False)
    subprocess.run(["bash", "scripts/nginx-front.sh", "start"], cwd=ROOT, env=env, check=True)
    return port


def front_stop() -> None:
    subprocess.run(["bash", "scripts/nginx-front.sh", "stop"], cwd=ROOT, check=False)


def run_burst(name: str, args: argparse.Namespace, data: dict[str, Any], rate: float) -> dict[str, Any]:
    server = Server(name, args.workers, args.port, args.db)
    server.start()
    started_at = datetime.now(TZ)
    admit = int(args.burst_front_factor * rate / args.burst_factor) if args.burst_front_factor > 0 else None
    try:
        port = front_start(args.port, admit) if admit else args.port
        log(f"burst on {name}: mix at {rate:.0f}/s for {args.burst_seconds}s"
            + (f", through nginx admitting {admit}/s" if admit else ", straight to the server"))
        workload = Workload(data, "mix", distinct=True, seed=99)
        outcomes = run_client(open_loop(f"http://127.0.0.1:{port}", workload, rate, args.burst_seconds,
                                         timeout=args.burst_timeout, max_connections=args.burst_connections))
        summary = summarise(outcomes, args.burst_seconds)
        summary["load"] = loadavg()
    finally:
        if admit:
            front_stop()
        server.stop()  # graceful: in-flight requests finish before the check
    check = check_burst(args.db, outcomes, started_at)
    log(f"burst: {summary['statuses']} → check {'OK' if check['ok'] else check['problems']}")
    if args.burst_log:
        with open(args.burst_log, "w") as fh:
            for o in outcomes:
                if o.kind == "update" and o.status:
                    fh.write(json.dumps({"status": o.status, **o.meta}) + "\n")
    return {"server": name, "offered_per_s": rate, "seconds": args.burst_seconds, "front_admit_per_s": admit,
            **summary, "check": check}


def cpu_total(result: dict[str, Any], target: str) -> float | None:
    cpu = result["targets"].get(target, {}).get("cpu")
    return cpu["app_ms_per_request"] + cpu["db_ms_per_request"] if cpu else None


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for pkg in ("django", "django-ninja", "gunicorn", "granian", "aiohttp", "psycopg"):
        with contextlib.suppress(Exception):
            out[pkg] = version(pkg)
    with contextlib.suppress(Exception):
        out["postgresql"] = subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.strip()
    return out


def median_range(values: list[float]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "—"
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}–{max(values):,.0f})"


def median_range_f(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "—"
    return f"{statistics.median(present):.2f} ({min(present):.2f}–{max(present):.2f})"


def print_table(report: dict[str, Any]) -> None:
    for name, runs in report["servers"].items():
        print(f"\n== {name} ({report['workers']} workers) — sustained at p99 ≤ {report['p99_ms']} ms, < 0.1% errors;"
              " median (min–max) over runs")
        for target in report["targets"]:
            sustained = [r["targets"].get(target, {}).get("sustained") for r in runs]
            key = TARGET_KIND.get(target, target)
            rates = [s["ok_per_s"].get(key) if s else 0.0 for s in sustained]
            p99s = [s["latency"][key]["p99"] for s in sustained if s]
            closed = [r["targets"].get(target, {}).get("closed_loop_per_s") for r in runs]
            cpus = [cpu_total(r, target) for r in runs]
            print(f"  {target:13s} {key}/s {median_range(rates):>20s}   p99 {median_range(p99s):>16s} ms"
                  f"   closed-loop {median_range(closed)}/s   CPU/request {median_range_f(cpus)} ms")
        for run in runs:
            print(f"  run: ratios {run.get('ratios')}, worker RSS {run.get('worker_rss_mb')} MB,"
                  f" run_worker {run.get('run_worker_rss_mb')} MB, bytes/1M updates {run.get('bytes_per_million_updates')}")
    for burst in report.get("bursts", []):
        print(f"\n== burst {burst['server']} {burst['offered_per_s']:.0f}/s × {burst['seconds']} s: {burst['statuses']},"
              f" check: {'OK' if burst['check']['ok'] else burst['check']['problems']} {burst['check']}")


def markdown(report: dict[str, Any]) -> str:
    """The report's tables in Markdown (bench/RESULTS.md): `bench/load.py --markdown FILE.json`."""
    lines = [f"Workers: {report['workers']}; SLO: p99 ≤ {report['p99_ms']} ms and < 0.1% errors; load average"
             f" before {report['load_before']}, after {report.get('load_after')}.", ""]
    lines.append("| server | target | closed-loop req/s | CPU app + db ms/request | idle 2-core bound/s"
                 " | sustained at SLO (req/s of the kind) | its p50 / p95 / p99 ms | runs |")
    lines.append("|---|---|---:|---:|---:|---:|---|---:|")
    for name, runs in report["servers"].items():
        for target in report["targets"]:
            per = [r["targets"].get(target) for r in runs if r["targets"].get(target)]
            if not per:
                continue
            key = TARGET_KIND.get(target, target)
            closed = [p["closed_loop_per_s"] for p in per]
            app = [p["cpu"]["app_ms_per_request"] for p in per if "cpu" in p]
            dbc = [p["cpu"]["db_ms_per_request"] for p in per if "cpu" in p]
            bound = [p["cpu"]["idle_2core_bound_per_s"] for p in per if "cpu" in p]
            rates = [(p["sustained"] or {}).get("ok_per_s", {}).get(key, 0.0) for p in per]
            lat = [p["sustained"]["latency"][key] for p in per if p["sustained"]]
            lat_txt = " / ".join(f"{statistics.median([x[q] for x in lat]):.0f}" for q in ("p50", "p95", "p99")) if lat else "—"
            cpu_txt = (f"{statistics.median(app):.2f} + {statistics.median(dbc):.2f}" if app else "—")
            lines.append(f"| {name} | {target} | {median_range(closed)} | {cpu_txt} | {median_range(bound)} |"
                         f" {median_range(rates)} | {lat_txt} | {len(per)} |")
    lines += ["", "| server | run | pgbench tps | R1 (SLO) | R3 (SLO) | R1 closed-loop | R3 closed-loop | R3 CPU |"
              " R3 ceiling closed-loop / CPU | status ÷ read | R3 bare SLO / closed-loop / CPU | ninja ÷ bare |"
              " status ÷ bare read | worker RSS MB | run_worker RSS MB | load after |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    for name, runs in report["servers"].items():
        for i, r in enumerate(runs, start=1):
            q = r.get("ratios", {})
            lines.append(f"| {name} | {i} | {r.get('pgbench_tps') or 0:,.0f} | {q.get('R1_updates_over_pgbench')} |"
                         f" {q.get('R3_updates_over_ninja_insert')} | {q.get('R1_closed_loop')} | {q.get('R3_closed_loop')} |"
                         f" {q.get('R3_cpu')} | {q.get('R3_ceiling_closed_loop')} / {q.get('R3_ceiling_cpu')} |"
                         f" {q.get('status_over_read_closed_loop')} |"
                         f" {q.get('R3_bare_slo')} / {q.get('R3_bare_closed_loop')} / {q.get('R3_bare_cpu')} |"
                         f" {q.get('ninja_over_bare_closed_loop')} | {q.get('status_over_bare_read_closed_loop')} |"
                         f" {r.get('worker_rss_mb')} | {r.get('run_worker_rss_mb')} | {r.get('load_after')} |")
    for b in report.get("bursts", []):
        lines += ["", f"Burst on {b['server']}: {b['offered_per_s']:.0f} req/s offered for {b['seconds']:.0f} s; answers"
                  f" {b['statuses']}; 503 with Retry-After {b['shed_503_with_retry_after']}; load {b.get('load')};"
                  f" check: {b['check']}"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=os.environ.get("LOAD_DB", DEFAULT_DB))
    parser.add_argument("--tokens", type=Path, help="JSON from bench/tokens.py (made when missing)")
    parser.add_argument("--owners", type=int, default=50_000)
    parser.add_argument("--servers", default="gunicorn-sync,granian")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--targets",
                        default="hello,bare,bare-read,ninja,ninja-read,floor,updates,checkins,declarations,status,"
                                "status-warm,mix")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--probe-seconds", type=float, default=5)
    parser.add_argument("--warmup-seconds", type=float, default=3)
    parser.add_argument("--step-seconds", type=float, default=8)
    parser.add_argument("--fractions", type=lambda s: [float(x) for x in s.split(",")],
                        default=[0.3, 0.5, 0.65, 0.8, 0.9, 1.0])
    parser.add_argument("--p99-ms", type=float, default=100.0)
    parser.add_argument("--pgbench-seconds", type=int, default=8)
    parser.add_argument("--burst", action="store_true")
    parser.add_argument("--burst-server", help="server for the burst (default: the first of --servers)")
    parser.add_argument("--burst-rate", type=float, help="offered rate (default: factor × sustained mix rate)")
    parser.add_argument("--burst-factor", type=float, default=10.0)
    parser.add_argument("--burst-seconds", type=float, default=60)
    parser.add_argument("--burst-timeout", type=float, default=10.0, help="client timeout, as a phone would give up")
    parser.add_argument("--burst-connections", type=int, default=2000)
    parser.add_argument("--burst-log", type=Path)
    parser.add_argument("--burst-front-factor", type=float, default=3.5,
                        help="send the burst through nginx in front (scripts/nginx-front.sh), admitting this many times"
                             " the sustained mix rate, as production's proxy does; 0: straight to the server")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", type=Path, help="only print the Markdown tables of a JSON report")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0

    tokens = args.tokens or ROOT / "var" / "bench" / f"load-tokens-{re.sub(r'[^a-z0-9]+', '-', args.db.lower())[-40:]}.json"
    if not tokens.exists():
        log(f"issuing tokens → {tokens}")
        subprocess.run([sys.executable, "bench/tokens.py", "--db", args.db, "--owners", str(args.owners),
                        "--out", str(tokens)], cwd=ROOT, check=True)
    data = json.loads(tokens.read_text())
    targets = args.targets.split(",")
    servers = args.servers.split(",")
    report: dict[str, Any] = {
        "started": datetime.now(TZ).isoformat(), "db": re.sub(r"//[^@]*@", "//", args.db), "workers": args.workers,
        "p99_ms": args.p99_ms, "targets": targets, "machine": {"nproc": os.cpu_count(), "kernel": platform.release()},
        "versions": versions(), "load_before": loadavg(), "servers": {s: [] for s in servers}, "pgbench": [],
    }
    for run in range(args.runs):
        for name in servers:
            log(f"run {run + 1}/{args.runs}, {name}, load {loadavg()}")
            tps = pgbench(args.db, args.workers * SERVERS[name][2], args.pgbench_seconds)
            cleanup_reference_rows(args.db)
            result = run_server(name, args, data, targets)
            result["pgbench_tps"] = tps
            result["load_after"] = loadavg()
            sustained = {t: (v.get("sustained") or {}).get("ok_per_s", {}) for t, v in result["targets"].items()}
            updates = sustained.get("updates", {}).get("update")
            ninja = sustained.get("ninja", {}).get("ninja")
            bare = sustained.get("bare", {}).get("bare")
            closed = {t: v.get("closed_loop_per_s") for t, v in result["targets"].items()}
            result["ratios"] = {
                "R1_updates_over_pgbench": round(updates / tps, 3) if updates and tps else None,
                "R3_updates_over_ninja_insert": round(updates / ninja, 3) if updates and ninja else None,
                # The same ratios on closed-loop capacity: defined even when nothing meets the SLO.
                "R1_closed_loop": round(closed["updates"] / tps, 3) if closed.get("updates") and tps else None,
                "R3_closed_loop": (round(closed["updates"] / closed["ninja"], 3)
                                   if closed.get("updates") and closed.get("ninja") else None),
                # … and on CPU per request (app + database): the least disturbed by other load.
                "R3_cpu": (round(cpu_total(result, "ninja") / cpu_total(result, "updates"), 3)
                           if cpu_total(result, "ninja") and cpu_total(result, "updates") else None),
                # The ceiling on R3 for this stack: the floor does only what the update's contract
                # requires (bench/reference_urls.py), so no implementation of it can beat this ratio.
                "R3_ceiling_closed_loop": (round(closed["floor"] / closed["ninja"], 3)
                                           if closed.get("floor") and closed.get("ninja") else None),
                "R3_ceiling_cpu": (round(cpu_total(result, "ninja") / cpu_total(result, "floor"), 3)
                                   if cpu_total(result, "ninja") and cpu_total(result, "floor") else None),
                "declarations_over_floor_closed_loop": (
                    round(closed["declarations"] / closed["floor-declaration"], 3)
                    if closed.get("declarations") and closed.get("floor-declaration") else None),
                # R3 against the bare reference (bench/bare/: Django + ninja, no product around it):
                # what the in-product reference's own middleware and settings hide (issue 19).
                "R3_bare_slo": round(updates / bare, 3) if updates and bare else None,
                "R3_bare_closed_loop": (round(closed["updates"] / closed["bare"], 3)
                                        if closed.get("updates") and closed.get("bare") else None),
                "R3_bare_cpu": (round(cpu_total(result, "bare") / cpu_total(result, "updates"), 3)
                                if cpu_total(result, "bare") and cpu_total(result, "updates") else None),
                "ninja_over_bare_closed_loop": (round(closed["ninja"] / closed["bare"], 3)
                                                if closed.get("ninja") and closed.get("bare") else None),
                "status_over_bare_read_closed_loop": (round(closed["status"] / closed["bare-read"], 3)
                                                      if closed.get("status") and closed.get("bare-read") else None),
                "status_warm_over_bare_read_closed_loop": (
                    round(closed["status-warm"] / closed["bare-read"], 3)
                    if closed.get("status-warm") and closed.get("bare-read") else None),
                "status_warm_over_bare_read_cpu": (
                    round(cpu_total(result, "bare-read") / cpu_total(result, "status-warm"), 3)
                    if cpu_total(result, "bare-read") and cpu_total(result, "status-warm") else None),
                "status_over_bare_read_cpu": (
                    round(cpu_total(result, "bare-read") / cpu_total(result, "status"), 3)
                    if cpu_total(result, "bare-read") and cpu_total(result, "status") else None),
                # Status reads against one SELECT behind the same framework.
                "status_over_read_closed_loop": (round(closed["status"] / closed["ninja-read"], 3)
                                                 if closed.get("status") and closed.get("ninja-read") else None),
            }
            log(f"  pgbench {tps} tps; ratios {result['ratios']}; RSS {result.get('worker_rss_mb')}")
            report["servers"][name].append(result)
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(report, indent=1, default=str))
    if args.burst:
        name = args.burst_server or servers[0]
        rate = args.burst_rate
        if rate is None:
            mixes = [(r["targets"].get("mix", {}).get("sustained") or {}).get("offered_per_s") for r in report["servers"][name]]
            mixes = [m for m in mixes if m]
            if not mixes:
                # Nothing met the SLO (a loaded machine): multiply the mix's closed-loop capacity.
                mixes = [r["targets"].get("mix", {}).get("closed_loop_per_s") for r in report["servers"][name]]
                mixes = [m for m in mixes if m]
            if not mixes:
                raise SystemExit("no mix rate to multiply: pass --burst-rate")
            rate = args.burst_factor * statistics.median(mixes)
        report["bursts"] = [run_burst(name, args, data, rate)]
    report["load_after"] = loadavg()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1, default=str))
    print_table(report)
    return 0 if all(b["check"]["ok"] for b in report.get("bursts", [])) else 1


if __name__ == "__main__":
    sys.exit(main())
