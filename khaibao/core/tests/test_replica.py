"""Statistics, dashboards and exports read from a REAL streaming replica (issue 9, DESIGN.md §9).

`scripts/pg-replica.sh start` makes a hot standby of the test's PostgreSQL primary with
pg_basebackup on port 5433 (REPLICA_PORT); the test database Django creates on the primary
reaches it through the WAL like everything else, so the "replica" alias is the same database
name on the other port — no TEST MIRROR. To tell the two apart the tests pause the standby's
WAL replay: a change made on the primary meanwhile is visible on the primary only, so a page
showing the old number read it from the replica, and shows the replica's lag.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.db.utils import load_backend

from khaibao.core.dbrouter import REPLICA, replica_health_forget, use_replica
from khaibao.core.selectors import replica_status
from khaibao.exports.models import ExportJob
from khaibao.exports.tasks import export_run
from khaibao.exports.tests.helpers import body, content, read_csv
from khaibao.stats import selectors as stats_selectors
from khaibao.stats.tests.helpers import declare, official_client, refresh, today

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "pg-replica.sh"
REPLICA_PORT = int(os.environ.get("REPLICA_PORT", "5433"))
URL = "/staff/stats/"


def _script(action: str) -> subprocess.CompletedProcess[str]:
    primary = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "PG_HOST": str(primary.get("HOST") or "127.0.0.1"),
        "PG_PORT": str(primary.get("PORT") or 5432),
        "PG_USER": str(primary.get("USER") or "root"),
        "REPLICA_PORT": str(REPLICA_PORT),
    }
    return subprocess.run(["bash", str(SCRIPT), action], env=env, text=True, capture_output=True, timeout=900)


@pytest.fixture(scope="session")
def streaming_replica() -> Iterator[None]:
    """A streaming standby of the primary, started unless one already runs; stopped at the end
    if this session started it (with parallel workers it is left to `pg-replica.sh stop`, as
    another worker may still use it)."""
    started = False
    if _script("status").returncode != 0:
        result = _script("start")
        assert result.returncode == 0, result.stdout + result.stderr
        started = True
    yield
    if started and not os.environ.get("PYTEST_XDIST_WORKER"):
        _script("stop")


class Replica:
    def sql(self, query: str) -> Any:
        """Run `query` on the standby's maintenance database: the test database may not have
        been replayed yet when the standby was started before the test run created it."""
        primary = connections["default"].settings_dict
        with psycopg.connect(
            host="127.0.0.1", port=REPLICA_PORT, user=primary["USER"] or "root", dbname="postgres", autocommit=True
        ) as conn:
            row = conn.execute(query).fetchone()
        assert row is not None
        return row[0]

    def catch_up(self, timeout: float = 30.0) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            target = cursor.fetchone()[0]
        deadline = time.monotonic() + timeout
        while not self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)
        replica_health_forget()

    def pause(self) -> None:
        self.sql("SELECT pg_wal_replay_pause()::text")
        while self.sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
            time.sleep(0.05)

    def resume(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()::text")


def _add_alias(port: int) -> None:
    alias: Any = {**connections["default"].settings_dict, "HOST": "127.0.0.1", "PORT": port}
    django_settings.DATABASES[REPLICA] = alias  # what the router and the lag selector look at
    connections.settings[REPLICA] = alias
    # Django's test case refuses connections to an alias the test did not declare, and declaring
    # "replica" would make it flush the read-only standby after the test. The wrapper therefore
    # carries its own name, which that check lets through as a dynamically created connection.
    connections[REPLICA] = load_backend(alias["ENGINE"]).DatabaseWrapper(alias, "replica-under-test")
    replica_health_forget()


def _drop_alias() -> None:
    connections[REPLICA].close()
    del connections[REPLICA]
    django_settings.DATABASES.pop(REPLICA, None)
    connections.settings.pop(REPLICA, None)
    replica_health_forget()


@pytest.fixture
def replica(streaming_replica: None, transactional_db: Any) -> Iterator[Replica]:
    """The "replica" alias on the standby, for this test only (added after the test database
    exists; removed before it is flushed)."""
    _add_alias(REPLICA_PORT)
    handle = Replica()
    try:
        handle.catch_up(timeout=120)
        assert handle.sql("SELECT pg_is_in_recovery()") is True
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT current_database(), inet_server_port()")
            assert cursor.fetchone() == (connections["default"].settings_dict["NAME"], REPLICA_PORT)
        yield handle
    finally:
        handle.resume()
        _drop_alias()


def _hoan_kiem_declarations(html: str, world: Any) -> str:
    match = re.search(rf"<th scope=\"row\">{re.escape(world.hoan_kiem.name)}</th>(.*?)</tr>", html, re.S)
    assert match, html
    return re.findall(r"<td>(\d+)</td>", match.group(1))[0]


def _lag(html: str) -> int:
    match = re.search(r'data-replica-lag="(\d+)"', html)
    assert match, "no replica line on the page"
    return int(match.group(1))


# serialized_rollback: the flush after a transactional test must leave the reference data
# (places, questionnaire) for the tests that follow.
pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_it_reads_the_dashboard_from_the_replica_and_shows_its_lag(world, api, replica, settings):
    # The whole cluster streams (other databases' writes too) and a loaded machine replays a
    # little late, so "caught up" means a lag under the warning threshold rather than exactly 0.
    settings.REPLICA_LAG_WARNING_SECONDS = 3
    declare(api, world.lan, world.lan_self)
    refresh()
    client = official_client(world.province)
    replica.catch_up()
    html = client.get(URL).content.decode()
    assert _hoan_kiem_declarations(html, world) == "1"
    assert "Data as of" in html
    assert _lag(html) <= 3
    assert "The read replica is behind" not in html

    replica.pause()
    declare(api, world.lan, world.lan_child)
    refresh()  # the primary now counts 2 declarations in Hoàn Kiếm
    time.sleep(4.5)
    html = client.get(URL).content.decode()
    assert _hoan_kiem_declarations(html, world) == "1"  # read from the paused replica
    paused_lag = _lag(html)
    assert paused_lag >= 4
    assert "The read replica is behind: the latest changes may not show yet." in html

    replica.resume()
    replica.catch_up()
    html = client.get(URL).content.decode()
    assert _hoan_kiem_declarations(html, world) == "2"
    assert _lag(html) < paused_lag
    assert "The read replica is behind" not in html


def test_it_keeps_transactions_and_writing_requests_on_the_primary(world, api, replica, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    declare(api, world.lan, world.lan_self)
    refresh()
    replica.catch_up()
    replica.pause()
    declare(api, world.lan, world.lan_child)
    refresh()

    def declarations() -> int:
        return stats_selectors.summary(world.province, today(), today()).declarations

    assert declarations() == 1  # the selector reads from the replica
    with transaction.atomic():
        assert declarations() == 2  # …but never inside a transaction on the primary
    with use_replica(), connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        assert cursor.fetchone()[0] == REPLICA_PORT

    # GET: the statistics API reads from the replica (its token bookkeeping writes to the primary).
    official = api.as_(world.province)
    assert official.get("/stats/summary").json()["totals"]["declarations"] == 1
    # POST: a small export is built inside its own transaction, from the primary.
    rows = read_csv(content(official.post("/exports", body("stats"))))
    assert {row[1]: row[3] for row in rows[1:]}[str(world.hoan_kiem.code)] == "2"
    # A background export job reads from the replica.
    settings.EXPORT_STREAM_MAX_ROWS = 0
    queued = official.post("/exports", body("stats"))
    assert queued.status_code == 202, queued.content
    job = ExportJob.objects.get(pk=queued.json()["id"])
    export_run.call(job.pk)
    job.refresh_from_db()
    assert job.status == "done"
    assert job.file_path is not None
    rows = read_csv(job.file_path.read_bytes())
    assert {row[1]: row[3] for row in rows[1:]}[str(world.hoan_kiem.code)] == "1"


def test_it_reads_from_the_primary_when_the_replica_cannot_be_reached(world, api, settings):
    _add_alias(1)  # nothing listens there
    try:
        declare(api, world.lan, world.lan_self)
        refresh()
        status = replica_status()
        assert (status.configured, status.reachable, status.usable) == (True, False, False)
        html = official_client(world.province).get(URL).content.decode()
        assert _hoan_kiem_declarations(html, world) == "1"
        assert "The read replica cannot be reached" in html
    finally:
        _drop_alias()
