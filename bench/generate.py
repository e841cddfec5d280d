"""Generate a Khai Báo benchmark database on PostgreSQL (bulk: COPY and INSERT … SELECT).

    .venv/bin/python bench/generate.py --db postgres://root@127.0.0.1:5432/khaibao_bench \
        --people 1000000 --updates 10000000

Drops and re-creates the database, runs `manage.py migrate` against it, then loads:

* people (COPY from Python: names, birth years, sexes, home wards) in households of three,
  one owner account per household (people/3), spread over every ward of `--provinces`;
* a PersonStatus row per person: ≈90% low, 7% medium, 2.5% high, 0.5% urgent, monitoring
  windows for medium and above, missed days, escalation and lost-to-follow-up derived the way
  khaibao.monitoring.queue does, and the queue columns (in_queue, queue_rank, queue_since) computed
  in SQL with the rules of khaibao/monitoring/queue.py. The SQL is checked against the pure
  function `queue_fields` on a sample of rows at the end (the script fails on a mismatch);
* one declaration per declared person (risk-factor ones for those needing attention);
* `--days` days of daily updates at ~60% compliance, sized to reach `--updates` rows
  (INSERT … SELECT generate_series on the server: ten million rows never travel through Python);
* `--zones` active zones with ward lists and/or circles spread over the whole country;
* the statistics rollups of every generated day (khaibao.stats.services.rollup_refresh).

Sizes are flags, so a smoke run (`--people 20000 --updates 200000`) takes well under a minute.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/khaibao_bench"
# Hà Nội, TP. Hồ Chí Minh, Thanh Hóa, Nghệ An: the two largest cities and two large rural provinces.
DEFAULT_PROVINCES = "1,79,38,40"
COMPLIANCE = 0.6
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Xuân", "Hoài"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Lan", "Linh", "Mai", "Nam",
         "Ngân", "Phong", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]


def log(message: str, started: float) -> None:
    print(f"[{time.monotonic() - started:7.1f}s] {message}", flush=True)


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def recreate_and_migrate(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(with_db(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def load_people(conn: psycopg.Connection, *, people: int, provinces: list[int], rng: random.Random) -> None:
    wards = [r[0] for r in conn.execute(
        "SELECT code FROM places_ward WHERE province_id = ANY(%s) ORDER BY code", [provinces]
    )]
    if not wards:
        raise SystemExit(f"no wards for provinces {provinces}: is the places data loaded?")
    households = (people + 2) // 3
    # Owner accounts: ids 1..households, so person 3(k-1)+1 is the owner of household k. Every
    # citizen signed in with a phone, so each has a phone blind index (a stand-in value here):
    # the zone warning job sends them an SMS.
    conn.execute(
        """
        INSERT INTO accounts_account (id, password, is_superuser, display_name, phone, phone_index, role,
                                      scope_level, is_active, is_staff, date_joined)
        SELECT k, '!', false, '', '', md5('bench-phone-' || k), 'citizen', '', true, false,
               now() - interval '60 days'
        FROM generate_series(1, %s) AS k
        """,
        [households],
    )
    this_year = date.today().year
    with conn.cursor() as cur, cur.copy(
        "COPY people_person (id, full_name, birth_year, sex, nationality_id, id_number, phone, phone_index, street,"
        " home_ward_id, account_id, created_at, updated_at) FROM STDIN"
    ) as copy:
        for k in range(1, households + 1):
            ward = rng.choice(wards)
            family = rng.choice(FAMILY)
            for j in range(3):
                pid = 3 * (k - 1) + j + 1
                if pid > people:
                    break
                # Owners are adults; other members span every age, ~9% are 65 or over overall.
                age = rng.randint(20, 80) if j == 0 else rng.randint(0, 90)
                sex = "female" if rng.random() < 0.5 else "male"
                name = f"{family} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
                copy.write_row((pid, name, this_year - age, sex, "VN", "", "", "", "", ward,
                                k if j == 0 else None, "2026-01-01 00:00+07", "2026-01-01 00:00+07"))
    conn.execute(
        """
        INSERT INTO people_householdmembership (owner_id, person_id, relation, created_at)
        SELECT (p.id - 1) / 3 + 1, p.id,
               CASE (p.id - 1) %% 3 WHEN 0 THEN 'self' WHEN 1 THEN 'spouse' ELSE 'child' END, p.created_at
        FROM people_person p
        """,
        {},
    )


STATUS_SQL = """
-- One random draw per person and purpose, kept in a temporary table so the columns agree.
CREATE TEMP TABLE g AS
SELECT p.id, p.birth_year, p.home_ward_id, w.province_id,
       random() AS r_level, random() AS r_declared, random() AS r_when, random() AS r_cond,
       random() AS r_mon, random() AS r_flags, random() AS r_upd
FROM people_person p JOIN places_ward w ON w.code = p.home_ward_id;
ALTER TABLE g ADD PRIMARY KEY (id);

CREATE TEMP TABLE s AS
SELECT g.*,
       CASE WHEN r_level < 0.90 THEN 'low' WHEN r_level < 0.97 THEN 'medium'
            WHEN r_level < 0.995 THEN 'high' ELSE 'urgent' END AS level,
       CASE WHEN r_level < 0.90 THEN 0 WHEN r_level < 0.97 THEN 1 WHEN r_level < 0.995 THEN 2 ELSE 3 END AS lvl
FROM g;
ALTER TABLE s ADD PRIMARY KEY (id);
"""

# queue_rank = level × level_step + vulnerability + escalation bump (khaibao/monitoring/queue.py).
INSERT_STATUS_SQL = """
INSERT INTO monitoring_personstatus (
    person_id, level, reasons, recommendations, ruleset_version, priority, assessed_at,
    monitoring_from, monitoring_until, last_declaration_at, needs_attention, is_f0, contact_level,
    home_ward_id, home_province_id, in_queue, queue_rank, queue_since, missed_days)
SELECT s.id, s.level, (SELECT token FROM seal WHERE kind = 'reasons'), '[]', %(ruleset)s,
       s.lvl * %(step)s + CASE WHEN %(year)s - s.birth_year >= %(age_threshold)s THEN %(w_age)s ELSE 0 END
                        + CASE WHEN s.r_cond < 0.08 THEN %(w_cond)s ELSE 0 END,
       CASE WHEN s.lvl > 0 OR s.r_declared < 0.6 THEN now() - s.r_when * interval '30 days' END,
       CASE WHEN s.lvl > 0 THEN %(today)s::date - (s.r_mon * 13)::int END,
       CASE WHEN s.lvl > 0 THEN %(today)s::date - (s.r_mon * 13)::int + 14 END,
       CASE WHEN s.lvl > 0 OR s.r_declared < 0.6 THEN now() - s.r_when * interval '30 days' END,
       s.lvl > 0 AND s.r_flags < 0.3,
       s.lvl >= 2 AND s.r_flags > 0.98,
       CASE WHEN s.lvl >= 1 AND s.r_flags BETWEEN 0.9 AND 0.95 THEN 'F1' ELSE '' END,
       s.home_ward_id, s.province_id, false, 0, NULL, 0
FROM s
"""

# Missed days for people under monitoring: consecutive days without an update up to yesterday
# (khaibao.monitoring.queue.missed_run), then escalation at 2 and lost to follow-up at
# FOLLOWUP_LOST_AFTER_DAYS (3), as the missed-updates job would have set them.
MISSED_SQL = """
WITH last AS (
    SELECT ps.person_id, ps.monitoring_from, ps.monitoring_until,
           (SELECT max(du.day) FROM monitoring_dailyupdate du WHERE du.person_id = ps.person_id) AS last_day
    FROM monitoring_personstatus ps WHERE ps.monitoring_until >= %(today)s
)
UPDATE monitoring_personstatus ps
SET missed_days = LEAST(32767, GREATEST(0,
        (LEAST(%(today)s::date - 1, last.monitoring_until)
         - GREATEST(last.monitoring_from, COALESCE(last.last_day + 1, last.monitoring_from))) + 1))
FROM last WHERE last.person_id = ps.person_id;

UPDATE monitoring_personstatus SET escalated_at = now() - interval '1 hour'
WHERE missed_days >= 2 AND monitoring_until >= %(today)s;
UPDATE monitoring_personstatus SET lost_to_followup_at = now() - interval '30 minutes'
WHERE missed_days >= %(lost_after)s AND monitoring_until >= %(today)s;

UPDATE monitoring_personstatus ps SET last_update_at = x.at, last_update_day = x.day, last_activity_at = x.at
FROM (SELECT person_id, max(updated_at) AS at, max(day) AS day FROM monitoring_dailyupdate GROUP BY person_id) x
WHERE x.person_id = ps.person_id;
"""

# in_queue / queue_rank / queue_since with the rules of khaibao.monitoring.queue (queue_reasons,
# queue_rank, queue_fields for a row entering the queue: waiting starts at the assessment).
QUEUE_SQL = """
UPDATE monitoring_personstatus SET
    in_queue = (assessed_at IS NOT NULL AND level IN ('medium', 'high', 'urgent'))
            OR needs_attention OR escalated_at IS NOT NULL
            OR (missed_days >= 1 AND monitoring_until >= %(today)s)
            OR lost_to_followup_at IS NOT NULL OR contact_level IN ('F0', 'F1') OR is_f0,
    queue_rank = CASE level WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END * %(step)s
            + GREATEST(0, priority) %% %(step)s
            + CASE WHEN escalated_at IS NOT NULL OR lost_to_followup_at IS NOT NULL THEN %(bump)s ELSE 0 END;
UPDATE monitoring_personstatus SET queue_since = COALESCE(assessed_at, now() - interval '1 day')
WHERE in_queue;
"""

DECLARATIONS_SQL = """
INSERT INTO declarations_declaration (person_id, version, kind, declared_by_id, declared_as, questionnaire_version,
                                      consent_version, commitment, consent, answers, travel_index, created_at)
SELECT ps.person_id, 1, CASE WHEN ps.needs_attention THEN 'risk' ELSE 'universal' END,
       (ps.person_id - 1) / 3 + 1, CASE WHEN (ps.person_id - 1) %% 3 = 0 THEN 'self' ELSE 'household_owner' END,
       'bench', 'bench', true, true,
       -- The stored shape the risk engine reads back (khaibao/declarations/facts.py): every daily
       -- update re-assesses from these answers. Sealed (issue 18): tokens made in Python (seal_tokens).
       (SELECT token FROM seal WHERE kind = 'answers' AND key = CASE WHEN ps.level = 'low' THEN 'low'
            ELSE to_char(ps.last_declaration_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD') END),
       '[]',
       ps.last_declaration_at
FROM monitoring_personstatus ps WHERE ps.last_declaration_at IS NOT NULL
"""

# Participants update on each day with probability COMPLIANCE; everyone under monitoring takes
# part, then a random share sized so that the total reaches the requested number of rows.
UPDATES_SQL = """
INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_by_id, updated_as,
                                    created_at, updated_at)
SELECT g.id, d.day,
       -- Sealed answers (issue 18): one token per distinct value, made in Python (seal_tokens).
       (SELECT token FROM seal WHERE kind = 'symptoms' AND key = CASE WHEN r < 0.01 THEN 'fever,cough'
            WHEN r < 0.04 THEN 'cough' WHEN r < 0.05 THEN 'sore_throat' ELSE '' END),
       (SELECT token FROM seal WHERE kind = 'temperature' AND key = round((36.2 + r * 1.2)::numeric, 1)::text),
       (SELECT token FROM seal WHERE kind = 'feeling' AND key = CASE WHEN r < 0.04 THEN 'unwell' ELSE 'well' END),
       (g.id - 1) / 3 + 1, CASE WHEN (g.id - 1) %% 3 = 0 THEN 'self' ELSE 'household_owner' END,
       d.day + time '07:30' + (r * interval '12 hours'), d.day + time '07:30' + (r * interval '12 hours')
FROM g
JOIN s USING (id)
-- g.id * 0 makes the subquery correlated, so each person gets their own draws.
CROSS JOIN LATERAL (SELECT %(today)s::date - n AS day, random() + g.id * 0 AS r
                    FROM generate_series(0, %(days)s - 1) AS n) d
WHERE (s.lvl > 0 OR g.r_upd < %(share)s) AND d.r < %(compliance)s
"""

ZONES_SQL = """
-- Zones all over the country (every province), ids 1..n; version id = zone id. A third name
-- wards only, a third a circle only, a third both; all in force.
CREATE TEMP TABLE zw AS SELECT row_number() OVER (ORDER BY code) AS i, code, province_id FROM places_ward;
INSERT INTO zones_zone (id, province_id, created_at, current_id)
SELECT z, zw.province_id, now() - interval '3 days', z
FROM generate_series(1, %(zones)s) AS z
JOIN zw ON zw.i = 1 + (z * 7919) %% (SELECT count(*) FROM zw);
INSERT INTO zones_zoneversion (id, zone_id, number, change, name, level, lockdown, isolation, whole_province,
                               circle_lat, circle_lon, circle_radius_m, valid_from, valid_until,
                               advice_vi, advice_en, created_at)
SELECT z.id, z.id, 1, 'create', 'Vùng bench ' || z.id, 1 + z.id %% 4, z.id %% 50 = 0, z.id %% 10 = 0, false,
       CASE WHEN z.id %% 3 <> 0 THEN 8.6 + random() * 14.5 END,
       CASE WHEN z.id %% 3 <> 0 THEN 102.2 + random() * 7.2 END,
       CASE WHEN z.id %% 3 <> 0 THEN 200 + (random() * 2800)::int END,
       now() - interval '3 days', CASE WHEN z.id %% 5 = 0 THEN now() + interval '30 days' END,
       '', '', now() - interval '3 days'
FROM zones_zone z;
INSERT INTO zones_zoneversion_wards (zoneversion_id, ward_id)
SELECT v.id, zw.code FROM zones_zoneversion v
JOIN zw ON zw.i = 1 + (v.id * 7919) %% (SELECT count(*) FROM zw)
WHERE v.id %% 3 <> 1;
SELECT setval(pg_get_serial_sequence('zones_zone', 'id'), (SELECT max(id) FROM zones_zone));
SELECT setval(pg_get_serial_sequence('zones_zoneversion', 'id'), (SELECT max(id) FROM zones_zoneversion));
INSERT INTO zones_zonestate (id, counter, token) VALUES (1, 1, md5(random()::text))
ON CONFLICT (id) DO UPDATE SET counter = zones_zonestate.counter + 1, token = EXCLUDED.token;
"""


def run_many(conn: psycopg.Connection, sql: str, params: dict[str, object]) -> None:
    # Bound parameters allow one statement per execute.
    for statement in sql.split(";\n"):
        body = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))
        if body.strip():
            conn.execute(body, params)  # type: ignore[arg-type]


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "khaibao.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def check_queue_sample(sample: int) -> int:
    """Compare the SQL-filled queue columns with khaibao.monitoring.queue.queue_fields; returns mismatches."""
    from django.utils import timezone

    from khaibao.monitoring.models import PersonStatus
    from khaibao.monitoring.queue import queue_fields

    today, now = timezone.localdate(), timezone.now()
    rows = list(PersonStatus.objects.filter(in_queue=True).order_by("?")[: sample // 2])
    rows += list(PersonStatus.objects.filter(in_queue=False).order_by("?")[: sample // 2])
    bad = 0
    for status in rows:
        expected = queue_fields(status, today, now)
        if expected["in_queue"] != status.in_queue or expected["queue_rank"] != status.queue_rank:
            bad += 1
            if bad <= 5:
                print("queue mismatch", status.person_id, expected, status.in_queue, status.queue_rank)
    return bad


def seal_tokens(conn: psycopg.Connection[Any], *, today: date) -> None:
    """The sealed values the bulk loads use (issue 18: answers are Fernet tokens made in Python,
    which the server cannot make): one token per distinct value, in a temporary table `seal`.
    A real database has a different token in every row (random IV) of the same length, so the
    sizes and the work of reading them are the same; only equal values share a token here."""
    import json
    from decimal import Decimal

    from khaibao.core import crypto

    def seal(value: Any) -> str:
        return crypto.encrypt(json.dumps(value, separators=(",", ":")))

    rows = [("reasons", "", seal([])), ("answers", "low", seal({"symptoms": []}))]
    for n in range(40):
        onset = (today - timedelta(days=n)).isoformat()
        rows.append(("answers", onset, seal({"symptoms": [{"code": "cough", "onset": onset}]})))
    for key in ("fever,cough", "cough", "sore_throat", ""):
        rows.append(("symptoms", key, seal([code for code in key.split(",") if code])))
    for tenth in range(362, 375):
        value = str(Decimal(tenth) / 10)
        rows.append(("temperature", value, crypto.encrypt(value)))
    rows += [("feeling", "well", crypto.encrypt("well")), ("feeling", "unwell", crypto.encrypt("unwell"))]
    conn.execute("CREATE TEMP TABLE seal (kind text, key text, token text, PRIMARY KEY (kind, key))")
    with conn.cursor() as cursor:
        cursor.executemany("INSERT INTO seal VALUES (%s, %s, %s)", rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", DEFAULT_DB))
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--updates", type=int, default=10_000_000, help="daily-update rows to aim for")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--zones", type=int, default=10_000)
    parser.add_argument("--provinces", default=DEFAULT_PROVINCES, help="comma-separated province codes")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    started = time.monotonic()
    provinces = [int(p) for p in args.provinces.split(",")]

    recreate_and_migrate(args.db)
    log("database created and migrated", started)
    django_setup(args.db)
    from django.conf import settings
    from django.utils import timezone

    from khaibao.monitoring.queue import escalation_bump
    from khaibao.risk import engine

    rules = engine.current_rules()
    today = timezone.localdate()
    from khaibao.monitoring.partitions import partitions_ensure

    # On PostgreSQL daily updates are partitioned by month (khaibao/monitoring/partitions.py):
    # give every generated day its month's partition rather than the default one.
    partitions_ensure(today - timedelta(days=n) for n in range(args.days))
    params = {
        "today": today, "days": args.days, "compliance": COMPLIANCE, "year": today.year,
        "step": rules.priority.level_step, "w_age": rules.priority.age, "w_cond": rules.priority.condition,
        "age_threshold": rules.priority.age_threshold, "bump": escalation_bump(rules),
        "ruleset": rules.version, "lost_after": settings.FOLLOWUP_LOST_AFTER_DAYS, "zones": args.zones,
    }
    rng = random.Random(args.seed)
    with psycopg.connect(args.db) as conn:
        conn.execute("SELECT setseed(%s)", [((args.seed % 1000) / 1000)])
        # A throwaway database: skip the WAL flush per commit, and the per-row FK triggers of the
        # bulk loads (every id is generated consistently above).
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        seal_tokens(conn, today=today)
        load_people(conn, people=args.people, provinces=provinces, rng=rng)
        conn.commit()
        log(f"{args.people:,} people, {(args.people + 2) // 3:,} households", started)
        conn.execute(STATUS_SQL)
        conn.execute(INSERT_STATUS_SQL, params)
        conn.commit()
        log("person statuses", started)
        monitored = conn.execute("SELECT count(*) FROM s WHERE lvl > 0").fetchone()[0]  # type: ignore[index]
        extra = max(0.0, args.updates / (args.days * COMPLIANCE) - monitored)
        params["share"] = min(1.0, extra / max(1, args.people - monitored))
        conn.execute(UPDATES_SQL, params)
        conn.commit()
        log("daily updates", started)
        run_many(conn, MISSED_SQL, params)
        run_many(conn, QUEUE_SQL, params)
        conn.execute(DECLARATIONS_SQL, params)
        conn.commit()
        log("missed days, queue columns, declarations", started)
        run_many(conn, ZONES_SQL, params)
        for table in ("accounts_account", "people_person", "people_householdmembership",
                      "declarations_declaration", "monitoring_dailyupdate"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        log(f"{args.zones:,} zones", started)
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        log("vacuum analyze", started)
        counts = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("people_person", "accounts_account", "monitoring_personstatus", "declarations_declaration",
                      "monitoring_dailyupdate", "zones_zoneversion")
        }
        in_queue = conn.execute("SELECT count(*) FROM monitoring_personstatus WHERE in_queue").fetchone()[0]  # type: ignore[index]

    bad = check_queue_sample(2000)
    log(f"queue columns checked against queue_fields on 2,000 rows: {bad} mismatches", started)
    from khaibao.stats.services import rollup_refresh

    rollup_refresh(days=[today - timedelta(days=n) for n in range(args.days - 1, -1, -1)])
    log(f"rollups of {args.days} days", started)
    for table, n in counts.items():
        print(f"  {table:32} {n:>12,}")
    print(f"  {'in the triage queue':32} {in_queue:>12,}")
    if bad:
        raise SystemExit("the generated queue columns disagree with khaibao.monitoring.queue")


if __name__ == "__main__":
    main()
