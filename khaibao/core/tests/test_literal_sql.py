"""`make lint` refuses SQL text built from plain strings where core/rowsql takes `LiteralString`
(scripts/mypy_literal_sql.py: mypy alone treats `LiteralString` as `str`)."""

from __future__ import annotations

from pathlib import Path

from mypy import api

PLUGIN = Path(__file__).resolve().parents[3] / "scripts" / "mypy_literal_sql.py"

PROBE = '''
from typing import Final, LiteralString

from khaibao.core import rowsql
from khaibao.monitoring.models import PersonStatus

WHERE: Final = "person_id = %s"
FOLDED: Final[LiteralString] = f"{WHERE} AND level = %s"
PLAIN = "person_id = %s"


def probe(user: str, sql: LiteralString, status: PersonStatus) -> None:
    rowsql.fetch(PersonStatus, "person_id = %s", [1])
    rowsql.fetch(PersonStatus, WHERE, [1], order_by="person_id")
    rowsql.fetch(PersonStatus, sql, [1])
    rowsql.fetch(PersonStatus, f"{sql} AND level = %s", [1, user])
    rowsql.fetch(PersonStatus, WHERE + " AND level = %s" if user else FOLDED, [1, user])
    rowsql.insert_statement(status, {"level": ("%s", [user])})
    rowsql.fetch(PersonStatus, f"person_id = {user}", [])  # bad
    rowsql.fetch(PersonStatus, "person_id = " + user, [])  # bad
    rowsql.fetch(PersonStatus, "person_id = %s" % user, [])  # bad
    rowsql.fetch(PersonStatus, PLAIN, [1])  # bad
    rowsql.fetch(PersonStatus, WHERE, [1], order_by=user)  # bad
    rowsql.fetch_with(PersonStatus, [WHERE, user], WHERE, [1])  # bad
    rowsql.update_statement(status, ["level"], expressions={"level": user})  # bad
    rowsql.insert_statement(status, {"level": (f"'{user}'", [])})  # bad
'''


def test_it_refuses_every_sql_text_built_from_a_plain_string_and_nothing_else(tmp_path):
    (tmp_path / "probe.py").write_text(PROBE, encoding="utf-8")
    (tmp_path / "mypy.ini").write_text(
        f"[mypy]\nplugins = {PLUGIN}\nfollow_imports = silent\nignore_missing_imports = true\n"
        f"cache_dir = {tmp_path / 'cache'}\n",
        encoding="utf-8",
    )
    out, _err, status = api.run(["--config-file", str(tmp_path / "mypy.ini"), str(tmp_path / "probe.py")])
    flagged = sorted(int(line.split(":")[1]) for line in out.splitlines() if "SQL text must be a literal" in line)
    bad = sorted(i for i, line in enumerate(PROBE.splitlines(), start=1) if line.endswith("# bad"))
    assert status == 1
    assert flagged == bad, out
