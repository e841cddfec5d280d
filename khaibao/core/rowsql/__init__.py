"""Single-table statements for the hot paths, written once per shape and reused.

Django's ORM builds and compiles every query to SQL on every call: about 0.3–0.5 ms of CPU per
statement, more than PostgreSQL needs to run it (bench/RESULTS.md, "Hot path"). The daily
update, the status read and the bearer-token check run a few fixed single-table statements
for every request of a country's morning. Here each statement's SQL is built once per
(model, columns, condition) and cached; values still go through the model fields' own
conversions — `get_db_prep_save` on the way in, the backend's and the field's converters on the
way out — so encrypted fields, JSON, decimals, booleans and SQLite's datetimes come back exactly
as the ORM would return them, and rows read here are ordinary model instances.

Conditions are SQL written in the calling module (a literal such as ``"person_id = %s"``) with
the values always passed as parameters, never formatted in: every parameter that takes SQL text is
a `LiteralString` (PEP 675), and `make lint` refuses a call that passes anything but literals (or
a `LiteralString` handed down by the caller's own caller) there — an f-string of user data
included (scripts/mypy_literal_sql.py). Use the ORM everywhere else: this module is for
statements measured to matter.
"""

from khaibao.core.rowsql.reads import (
    JsonRows,
    fetch,
    fetch_all_with,
    fetch_related,
    fetch_values,
    fetch_with,
    fetch_with_related,
)
from khaibao.core.rowsql.shapes import M, Statement
from khaibao.core.rowsql.writes import (
    create,
    insert_statement,
    param,
    update,
    update_many,
    update_statement,
    upsert_statement,
)

__all__ = [
    "JsonRows", "M", "Statement", "create", "fetch", "fetch_all_with", "fetch_related", "fetch_values", "fetch_with",
    "fetch_with_related", "insert_statement", "param", "update", "update_many", "update_statement", "upsert_statement",
]
