# The day's first status read makes the pass code in its own statement (issue 19, the status read
# ≥ 0.5 of a bare read): its one SELECT calls this function when the person has no current code, in
# place of a second round trip and INSERT from Python (passes.services STATUS_PASS_CODE, `holder_sql`).
#
# The function only inserts the row it is given — the code, its person and its times come from
# passes.services (`_new_code`, PASS_LIFETIME), which own them — and answers the code, or NULL when
# the random code is already taken (50 bits colliding): the caller then makes one the Python way.
# PL/pgSQL so that each session plans the INSERT once. PostgreSQL only: on SQLite the status read
# reads the code and Python makes it when missing, as before.
#
# `commit_async`: when the read is a statement of its own (autocommit; never inside a caller's
# transaction, which may hold what a user submitted), its commit does not wait for the WAL to reach
# the disk (synchronous_commit off for that one transaction). A crash of the database within ~0.6 s
# (3 × wal_writer_delay) may then forget a code just shown; the database stays consistent, the QR
# pass (signed, stored nowhere) still verifies, and the holder's next read makes a new code.
# docs/decisions/0008, "The seventh pass"; docs/operations.md.

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION passes_code_make(
    person bigint, new_code varchar, made timestamptz, expires timestamptz, commit_async boolean
) RETURNS varchar LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    made_code varchar;
BEGIN
    IF commit_async THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    INSERT INTO passes_passcode (code, person_id, created_at, expires_at)
    VALUES (new_code, person, made, expires)
    ON CONFLICT (code) DO NOTHING
    RETURNING code INTO made_code;
    RETURN made_code;
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS passes_code_make(bigint, varchar, timestamptz, timestamptz, boolean)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("passes", "0002_drop_redundant_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
