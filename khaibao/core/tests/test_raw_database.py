"""The raw-database check (issue 8, security suite 8): a dump of the database — the SQLite file
itself, or `pg_dump` of PostgreSQL — holds no ID number, phone, street address or free-text note
about a person in clear. Markers are seeded through the product (raw_seed.py) and searched for in
the raw bytes; session rows, which are signed but only base64-encoded, are decoded first.

Issue 18 extends it to health answers: a citizen's declaration (symptoms with onsets, exposures,
conditions, pregnancy, travel), risk-factor declaration and daily updates (symptoms, temperature,
feeling) are seeded too; the answer codes are searched for in the raw file, in SQLite's `.dump`
and in `pg_dump`, and every value of the sealed columns must be a Fernet token.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from khaibao.core.tests import raw_seed

ROOT = Path(settings.BASE_DIR)


def leaks(blob: bytes, m: dict[str, str]) -> list[str]:
    return [name for name, value in m.items() if value.encode() in blob]


def session_leaks(rows: list[str], m: dict[str, str]) -> list[str]:
    store = SessionStore()
    decoded = json.dumps([store.decode(data) for data in rows], ensure_ascii=False).encode()
    return leaks(decoded, m)


def sealed_violations(rows_by_table: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """Values of the sealed columns (raw_seed.SEALED_COLUMNS) that are not Fernet tokens."""
    bad = []
    for table, rows in rows_by_table.items():
        assert rows, f"no rows in {table}: the walk did not reach it"
        for row in rows:
            for column, value in zip(raw_seed.SEALED_COLUMNS[table], row, strict=True):
                if value is not None and not str(value).startswith("gAAAAA"):
                    bad.append(f"{table}.{column}={str(value)[:60]}")
    return bad


def _sealed_rows(cursor: Any) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for table, columns in raw_seed.SEALED_COLUMNS.items():
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")  # noqa: S608 - names from the test's own table
        found[table] = list(cursor.fetchall())
    return found


def _copy_section(dump: bytes, table: str) -> bytes:
    start = dump.index(f"COPY public.{table} ".encode())
    return dump[start:dump.index(b"\\.\n", start)]


def test_it_finds_a_marker_when_one_is_there():
    # The check itself must be able to fail.
    m = raw_seed.markers()
    assert leaks(b"xx" + m["person_street"].encode() + b"yy", m) == ["person_street"]
    assert leaks(("+84" + m["citizen_phone"]).encode(), m) == ["citizen_phone"]
    assert leaks(b'{"conditions":["chronic_kidney"],"pregnant":true}', m) == ["answer_condition", "answer_pregnant"]
    assert sealed_violations({"monitoring_dailyupdate": [("gAAAAAx", "38.6", "gAAAAAy")]}) == [
        "monitoring_dailyupdate.temperature=38.6"
    ]


def test_it_keeps_markers_out_of_the_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "raw.sqlite3"
    env = {
        **os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{db}", "EXPORT_ROOT": str(tmp_path / "exports"),
        "SMS_BACKEND": "file", "SMS_FILE_PATH": str(tmp_path / "sms.jsonl"), "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    done = subprocess.run(
        [*manage, "shell", "-c", "from khaibao.core.tests.raw_seed import main; main()"],
        cwd=ROOT, env=env, check=True, timeout=300, capture_output=True, text=True,
    )
    m = json.loads(done.stdout.strip().splitlines()[-1])

    # Everything the database holds: the main file, the write-ahead log and its index.
    files = [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    raw = b"".join(p.read_bytes() for p in files)
    assert len(raw) > 100_000
    assert leaks(raw, m) == []

    with sqlite3.connect(db) as conn:
        sessions = [row[0] for row in conn.execute("SELECT session_data FROM django_session")]
        # sqlite3's `.dump`: every value as SQL text (numbers too, which the raw file stores binary).
        dump = "\n".join(conn.iterdump()).encode()
        assert sealed_violations(_sealed_rows(conn.cursor())) == []
    assert sessions  # the web sign-in left a half-done session
    assert session_leaks(sessions, m) == []
    assert leaks(dump, m) == []
    updates = [line for line in dump.split(b"\n") if line.startswith(b'INSERT INTO "monitoring_dailyupdate"')]
    assert updates
    assert not [line for line in updates if raw_seed.HEALTH_TEMPERATURE.encode() in line]


@pytest.mark.postgres_only
# serialized_rollback: the flush afterwards must leave the reference data (places) for later tests.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_keeps_markers_out_of_pg_dump(tmp_path: Path) -> None:
    m = raw_seed.markers()
    raw_seed.seed(m)

    conf = connection.settings_dict
    url = f"postgresql://{conf['USER']}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"
    env = {**os.environ, "PGPASSWORD": conf.get("PASSWORD") or ""}
    dump = subprocess.run(["pg_dump", "--no-owner", url], env=env, check=True, capture_output=True, timeout=300).stdout
    assert b"COPY public.people_person" in dump
    assert leaks(dump, m) == []
    # The daily updates' rows (their partitions on PostgreSQL): no temperature in clear.
    assert b"COPY public.monitoring_dailyupdate" in dump
    sections = [
        _copy_section(dump, line.split()[1].decode().removeprefix("public."))
        for line in dump.split(b"\n") if line.startswith(b"COPY public.monitoring_dailyupdate")
    ]
    assert not [s for s in sections if f"\t{raw_seed.HEALTH_TEMPERATURE}\t".encode() in s]
    with connection.cursor() as cursor:
        assert sealed_violations(_sealed_rows(cursor)) == []

    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        sessions: list[Any] = [row[0] for row in cursor.fetchall()]
    assert sessions
    assert session_leaks(sessions, m) == []
