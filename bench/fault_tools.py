"""The pieces bench/faults.py breaks: a private PostgreSQL cluster and Redis on ports of their own,
the app server (granian) and the task worker — plus the client that keeps writing through it all.

Everything listens on 127.0.0.1 only. The cluster lives in var/faults/pg (initdb, owned by the
`postgres` user when run as root, as PostgreSQL refuses to run as root) so that restarting it never
touches the machine's shared PostgreSQL.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
sys.path.insert(0, str(ROOT))

from bench.load import descendants  # noqa: E402


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _pg_bin() -> Path:
    for major in (17, 16, 15, 14, 13):
        path = Path(f"/usr/lib/postgresql/{major}/bin")
        if (path / "pg_ctl").exists():
            return path
    found = shutil.which("pg_ctl")
    if not found:
        raise SystemExit("pg_ctl not found: install PostgreSQL's server binaries")
    return Path(found).parent


class Cluster:
    """A throwaway PostgreSQL cluster on `port`, data in `data_dir` (deleted and re-created)."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.bin = _pg_bin()
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else os.environ.get("USER", "postgres")
        self.url_base = f"postgres://{self.user}@127.0.0.1:{port}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def create(self) -> None:
        self.stop(quiet=True)
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        if self.as_root:
            shutil.chown(self.data_dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data_dir), "-U", self.user, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                       "max_connections = 100\nshared_buffers = 64MB\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.data_dir / "server.log"), "-w", "-t", "60",
                  "start")

    def stop(self, *, mode: str = "fast", quiet: bool = False) -> None:
        if not (self.data_dir / "postmaster.pid").exists():
            return
        result = self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", "60", "stop", check=not quiet)
        if result.returncode and not quiet:
            raise SystemExit(result.stderr)

    def url(self, db: str) -> str:
        return f"{self.url_base}/{db}"


class Redis:
    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if not exe:
            raise SystemExit("redis-server not found (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        time.sleep(0.5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Process:
    """A child process group with its output in a log file; stopped by SIGTERM or killed with -9."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.cmd, self.env, self.log_path = name, cmd, env, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self.log_path.open("ab"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        return descendants(self.proc.pid) if self.proc is not None else []

    def kill9(self) -> None:
        if self.alive():
            assert self.proc is not None
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> int | None:
        if not self.alive():
            return self.proc.returncode if self.proc else None
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill9()
            return None


def wait_http(port: int, path: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port}{path}")


# --- the client ---------------------------------------------------------------------------------


@dataclass
class Attempt:
    sent: float  # time.time()
    seconds: float
    status: int  # 0: no answer (connection refused or reset, client timeout)


@dataclass
class Operation:
    kind: str  # "update" | "declaration"
    person: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    meta: dict[str, Any] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    acked: bool = False
    answer: dict[str, Any] | None = None


def payload_hash(symptoms: list[str], temperature: float, feeling: str) -> str:
    return hashlib.sha256(f"{','.join(symptoms)}|{temperature:.1f}|{feeling}".encode()).hexdigest()[:16]


class Driver:
    """`threads` clients writing daily updates and declarations at `rate` operations a second in
    all, each operation retried with the same Idempotency-Key (and body) until acknowledged, after
    Retry-After (at most 5 s) or a short pause when there was no answer."""

    def __init__(self, port: int, ops: list[Operation], *, threads: int, rate: float, timeout: float) -> None:
        self.port, self.threads, self.rate, self.timeout = port, threads, rate, timeout
        self.todo = list(reversed(ops))
        self.done: list[Operation] = []
        self.lock = threading.Lock()
        self.stop_new = threading.Event()
        self.deadline = float("inf")
        self.workers: list[threading.Thread] = []

    def _next(self) -> Operation | None:
        with self.lock:
            if self.stop_new.is_set() or not self.todo:
                return None
            return self.todo.pop()

    def _send(self, conn: http.client.HTTPConnection | None, op: Operation) -> tuple[Any, int, float]:
        started = time.time()
        headers = {**op.headers, "Content-Type": "application/json", "X-Request-Start": f"t={started:.6f}"}
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            conn.request(op.method, op.path, body=op.body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            op.attempts.append(Attempt(started, time.time() - started, resp.status))
            if 200 <= resp.status < 300:
                op.acked = True
                op.answer = json.loads(data or b"{}")
                return conn, 0, 0
            retry = float(resp.headers.get("Retry-After") or 1)
            return conn, resp.status, min(retry, 5.0)
        except (OSError, http.client.HTTPException):
            op.attempts.append(Attempt(started, time.time() - started, 0))
            if conn is not None:
                conn.close()
            return None, 0, 0.5

    def _client(self, interval: float) -> None:
        conn = None
        while True:
            op = self._next()
            if op is None:
                return
            began = time.monotonic()
            while not op.acked and time.time() < self.deadline:
                conn, status, pause = self._send(conn, op)
                if op.acked:
                    break
                if status and status < 500 and status != 429:
                    break  # refused for good (a bug in the driver or the product): reported as such
                time.sleep(pause * random.uniform(0.8, 1.2))
            with self.lock:
                self.done.append(op)
            time.sleep(max(0.0, interval - (time.monotonic() - began)))

    def start(self) -> None:
        interval = self.threads / self.rate
        for _ in range(self.threads):
            worker = threading.Thread(target=self._client, args=(interval,), daemon=True)
            worker.start()
            self.workers.append(worker)

    def finish(self, drain_seconds: float) -> None:
        """Start no new operation; let those in flight retry for up to `drain_seconds`."""
        self.stop_new.set()
        self.deadline = time.time() + drain_seconds
        for worker in self.workers:
            worker.join(drain_seconds + self.timeout + 5)


class Prober(threading.Thread):
    """GETs `path` every `every` seconds while running: (sent, seconds, status)."""

    def __init__(self, port: int, path: str, every: float = 1.0, timeout: float = 10.0) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.every, self.timeout = port, path, every, timeout
        self.results: list[Attempt] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            started = time.time()
            status = 0
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                conn.request("GET", self.path)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                conn.close()
            except (OSError, http.client.HTTPException):
                pass
            self.results.append(Attempt(started, time.time() - started, status))
            self.stopped.wait(max(0.0, self.every - (time.time() - started)))

    def stop(self) -> list[Attempt]:
        self.stopped.set()
        self.join(self.timeout + 2)
        return self.results
