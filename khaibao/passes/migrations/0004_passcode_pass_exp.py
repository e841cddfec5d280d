# A typed code answers only until the pass shown with it expires (review-browser finding 1): the
# pass's expiry is stamped on the code (`pass_exp`, Unix seconds as a token's `exp`). Codes made
# before keep their old answer (their own expiry) until they are shown with a pass again.
#
# The holder's status read makes the day's code in its own statement (migration 0003); the function
# now takes the stamp of the pass signed with it, so that the day's first read stays one statement,
# and answers "CODE:stamp" as the read answers a current code (passes.services `_current_code_sql`).

from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION passes_code_make(
    person bigint, new_code varchar, made timestamptz, expires timestamptz, stamp bigint, commit_async boolean
) RETURNS varchar LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    made_code varchar;
BEGIN
    IF commit_async THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    INSERT INTO passes_passcode (code, person_id, created_at, expires_at, pass_exp)
    VALUES (new_code, person, made, expires, stamp)
    ON CONFLICT (code) DO NOTHING
    RETURNING code INTO made_code;
    -- As the status read reads a current code: "CODE:stamp" (NULL when the code was taken).
    RETURN made_code || ':' || stamp;
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS passes_code_make(bigint, varchar, timestamptz, timestamptz, bigint, boolean)"
# For the release after this one, once no process of the previous release runs.
DROP_OLD = "DROP FUNCTION IF EXISTS passes_code_make(bigint, varchar, timestamptz, timestamptz, boolean)"
# Migration 0003's function, given back when this one is reversed.
CREATE_OLD = """
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


def create(apps, schema_editor):
    # The old five-argument function stays (DROP_OLD is for a later release): app processes of the
    # previous release still call it while the deploy replaces them (diff review).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        schema_editor.execute(CREATE_OLD)


class Migration(migrations.Migration):
    dependencies = [("passes", "0003_passes_code_make")]

    operations = [
        migrations.AddField(model_name="passcode", name="pass_exp", field=models.BigIntegerField(null=True)),
        migrations.RunPython(create, drop, elidable=False),
    ]
