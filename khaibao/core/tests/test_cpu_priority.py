"""The task worker's CPU priority (core/cpu_priority.py): its nice value, and its session's autogroup
only when it leads that session. Each case runs in a child process: a process cannot raise its
priority back, and the test runner's own must not change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from khaibao.core.cpu_priority import cpu_priority_lower

ROOT = Path(__file__).resolve().parents[3]

_CHILD = """
import json, logging, os, sys
from pathlib import Path
logging.basicConfig(level=logging.WARNING, format="%(message)s")
from khaibao.core.cpu_priority import cpu_priority_lower
before = os.nice(0)
lowered = cpu_priority_lower(int(sys.argv[1]), autogroup=Path(sys.argv[2]))
print(json.dumps({"before": before, "after": os.nice(0), "lowered": lowered}))
"""


def _child(nice: int, autogroup: Path, *, own_session: bool) -> tuple[dict[str, object], str]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(nice), str(autogroup)], cwd=ROOT, capture_output=True, text=True,
        start_new_session=own_session, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout), out.stderr


@pytest.mark.parametrize(
    ("own_session", "autogroup_after", "autogroup_lowered"),
    [
        # Started by setsid, a supervisor or the bench: its session's group is its own to lower.
        (True, "10\n", ["session autogroup nice 10"]),
        # e.g. `make run`: the server and the worker in one terminal session — lowering the group
        # would lower the server too; the nice value orders the two within it.
        (False, "/autogroup-1 nice 0\n", []),
    ],
)
def test_the_worker_lowers_its_nice_value_and_its_sessions_autogroup_only_when_it_leads_the_session(
    own_session: bool, autogroup_after: str, autogroup_lowered: list[str], tmp_path: Path
) -> None:
    autogroup = tmp_path / "autogroup"
    autogroup.write_text("/autogroup-1 nice 0\n")
    result, _log = _child(10, autogroup, own_session=own_session)
    assert result["after"] == min(19, int(result["before"]) + 10)  # type: ignore[call-overload]
    assert autogroup.read_text() == autogroup_after
    assert result["lowered"] == [f"nice {result['after']}", *autogroup_lowered]


def test_no_autogroup_to_lower_is_no_error(tmp_path: Path) -> None:
    # A kernel without autogroup (or under cgroups, where systemd's CPUWeight= decides): the nice value only.
    result, log = _child(5, tmp_path / "missing", own_session=True)
    assert result["lowered"] == [f"nice {result['after']}"]
    assert log == ""


def test_an_autogroup_the_system_refuses_to_lower_is_logged_and_the_worker_goes_on(tmp_path: Path) -> None:
    autogroup = tmp_path / "a-directory"  # writing to it fails as a read-only /proc would
    autogroup.mkdir()
    result, log = _child(5, autogroup, own_session=True)
    assert result["lowered"] == [f"nice {result['after']}"]
    assert "could not lower the worker's session autogroup" in log


@pytest.mark.parametrize("nice", [0, -5])
def test_nothing_is_lowered_for_zero_or_less(nice: int, tmp_path: Path) -> None:
    autogroup = tmp_path / "autogroup"
    autogroup.write_text("/autogroup-1 nice 0\n")
    # In this process: nothing changes, so the runner's priority is safe.
    before = os.nice(0)
    assert cpu_priority_lower(nice, autogroup=autogroup) == []
    assert os.nice(0) == before
    assert autogroup.read_text() == "/autogroup-1 nice 0\n"


def test_a_value_over_nineteen_is_nineteen(tmp_path: Path) -> None:
    autogroup = tmp_path / "autogroup"
    autogroup.write_text("/autogroup-1 nice 0\n")
    result, _log = _child(40, autogroup, own_session=True)
    assert result["after"] == 19
    assert autogroup.read_text() == "19\n"
