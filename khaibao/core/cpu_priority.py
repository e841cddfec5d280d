"""The task worker's CPU priority: below the web servers' when they share a machine.

Rush mode (decision D, docs/decisions/0008) stores daily updates first so that the web servers
acknowledge more than they could assess; the worker assesses them afterwards. On a machine the
worker shares with the web servers, its assessing competes with the very requests rush mode is
there to acknowledge. Measured on the 2-core bench machine (bench/RESULTS.md, "Issue 19: the
eighth pass"): during a 3× rush the worker took 34–53 % of a core, the servers fell behind, a
standing queue formed and 11–16 % of the updates were refused in three runs of four; with
WORKER_NICE at 10, 99.4 and 99.9 % were acknowledged and the backlog was assessed within 6 s of the
rush's end.

Two kernel mechanisms decide who gets the CPU on Linux, and a worker's priority must be lowered in
both:

* the process's **nice value** (`os.nice`), which orders it against the processes of its own
  scheduling group — e.g. `make run`, where the server and the worker share a terminal session;
* the **autogroup** of its session (`/proc/self/autogroup`, when `kernel.sched_autogroup_enabled`):
  the scheduler first shares the CPU fairly between sessions, then within each. A worker started in
  a session of its own (`setsid`, a container's init, the bench) therefore got as much CPU as all
  the web server's processes together, whatever its own nice value — which is why lowering only
  that changed nothing when it was tried (the seventh pass). Its session's group is lowered too,
  but only when the worker leads that session: a group it shares with others is not its own to
  lower.

Under systemd (cgroup v2) neither decides between services: give the worker's unit a lower
`CPUWeight=` than the web's (docs/operations.md). Nothing here can raise a priority back — an
unprivileged process may only lower its own — so a value is chosen once, at start-up.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

AUTOGROUP = Path("/proc/self/autogroup")
NICE_MAX = 19


def cpu_priority_lower(nice: int, *, autogroup: Path = AUTOGROUP) -> list[str]:
    """Lower this process's CPU priority by `nice` (0 leaves it; at most 19), and its session's
    autogroup to `nice` when it leads the session; returns what was lowered, for the start-up
    line. A refusal by the system (a container without /proc, a seccomp policy) is logged and
    the worker runs at the priority it has."""
    nice = max(0, min(NICE_MAX, nice))
    if nice == 0:
        return []
    lowered: list[str] = []
    try:
        lowered.append(f"nice {os.nice(nice)}")
    except OSError as exc:
        logger.warning("could not lower the worker's nice value: %s", exc)
    if os.getsid(0) == os.getpid() and autogroup.exists():
        try:
            autogroup.write_text(f"{nice}\n")
            lowered.append(f"session autogroup nice {nice}")
        except OSError as exc:
            logger.warning("could not lower the worker's session autogroup: %s", exc)
    return lowered
