"""The demo world after a full citizen walk, dumped and searched for health answers (issue 18).

    .venv/bin/python scripts/sealed_walk.py [--pg postgres://root@127.0.0.1:5432/khaibao_walk] [--keep DIR]

For a fresh SQLite file, and for a PostgreSQL database when `--pg` is given (dropped and created
again), as `make run` would: `migrate`, `seed_demo`; then Lan (0900000001) signs in through the
API with the code texted to her, declares for herself — symptoms with their onsets, an exposure,
travel, underlying conditions, pregnancy —, sends a risk-factor declaration and two daily updates
with a temperature, and the statistics are refreshed. Then `sqlite3 .dump` / `pg_dump` is
searched (grep) for every answer she gave. The only hits allowed are the symptom codes in
`stats_dailycoderollup` — counts per ward and day, kept clear on purpose (docs/privacy.md) — so
the script prints every hit and exits non-zero on any other.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# What Lan answers (WALK below), as it would appear in clear in a dump.
ANSWERS = [
    "loss_of_taste_smell", "shortness_of_breath", "chronic_kidney", "diabetes", '"pregnant"', "pregnant",
    '"onset"', "cared_for_sick", '"ward_code"', "unwell", "urgent.breathing", "38.6",
]
ALLOWED_TABLE = "stats_dailycoderollup"  # counts by code: loss_of_taste_smell / shortness_of_breath are codes there

WALK = r'''
import json, re
from datetime import timedelta
from pathlib import Path
from django.conf import settings
from django.test import Client
from django.utils import timezone

api = Client()
sms = Path(settings.SMS_FILE_PATH)
ok = lambda r, *codes: r if r.status_code in codes else (_ for _ in ()).throw(AssertionError((r.status_code, r.content[:300])))
ok(api.post("/api/v1/auth/otp/request", {"phone": "0900000001"}, content_type="application/json"), 202)
code = re.search(r"\b(\d{6})\b", json.loads(sms.read_text(encoding="utf-8").splitlines()[-1])["body"]).group(1)
token = ok(api.post("/api/v1/auth/otp/verify", {"phone": "0900000001", "code": code}, content_type="application/json"), 200).json()["token"]
auth = {"Authorization": f"Bearer {token}"}
people = ok(api.get("/api/v1/people", headers=auth), 200).json()
people = people.get("items", people) if isinstance(people, dict) else people
lan = next(p for p in people if p.get("relation") == "self")["id"]
today = timezone.localdate()
day = lambda n: (today - timedelta(days=n)).isoformat()
base = f"/api/v1/people/{lan}"
ok(api.post(f"{base}/declarations", {
    "travel": [{"ward_code": 4, "from": day(6), "to": day(4)}],
    "symptoms": [{"code": "loss_of_taste_smell", "onset": day(3)}, {"code": "cough", "onset": day(2)}],
    "exposures": [{"code": "cared_for_sick", "date": day(5)}],
    "conditions": ["chronic_kidney", "diabetes"], "pregnant": True, "commitment": True, "consent": True,
}, content_type="application/json", headers=auth), 201)
ok(api.post(f"{base}/risk-declarations", {
    "contact_with_case": True, "contacts": [{"code": "contact_confirmed", "date": day(5)}],
    "came_from_epidemic_area": False, "suspect_infection": True,
    "symptoms": [{"code": "loss_of_taste_smell", "onset": day(3)}], "commitment": True, "consent": True,
}, content_type="application/json", headers=auth), 201)
for n, symptoms in ((1, ["cough"]), (0, ["shortness_of_breath", "fever"])):
    ok(api.put(f"{base}/updates/{day(n)}", {"symptoms": symptoms, "temperature": 38.6, "feeling": "unwell"},
               content_type="application/json", headers=auth), 200, 201)
status = ok(api.get(f"{base}/status", headers=auth), 200).json()
print("WALK", json.dumps({"person": lan, "level": status.get("level"), "reasons": [r["rule"] for r in status.get("reasons", [])]}))
'''


def run(cmd: list[str], env: dict[str, str]) -> str:
    return subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=600).stdout


def walk(env: dict[str, str]) -> None:
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v", "0"], env)
    run([*manage, "seed_demo"], env)
    out = run([*manage, "shell", "-c", WALK], env)
    print("  " + next(line for line in out.splitlines() if line.startswith("WALK")))
    run([*manage, "stats_refresh"], env)


def grep(dump: str, label: str) -> bool:
    """Print every line of `dump` holding an answer; True when all of them are allowed."""
    pattern = re.compile("|".join(re.escape(a) for a in ANSWERS))
    hits = [line for line in dump.splitlines() if pattern.search(line)]
    tokens = len(re.findall(r"gAAAAA[\w-]{40,}={0,2}", dump))
    print(f"  {label}: {len(dump.encode()):,} bytes, {tokens} Fernet tokens; grep -E '{pattern.pattern}':")
    bad = []
    for line in hits:
        allowed = ALLOWED_TABLE in line or line.startswith(("COPY public.stats_dailycoderollup", "INSERT INTO stats_"))
        words = sorted({m.group(0) for m in pattern.finditer(line)})
        print(f"    {'ok  ' if allowed else 'LEAK'} {line[:150]}   <- {words}")
        if not allowed:
            bad.append(line)
    if not hits:
        print("    (no line)")
    return not bad


def pg_section_lines(dump: str) -> str:
    # pg_dump's COPY rows do not name their table: prefix each row with it, as .dump's INSERTs do.
    out, table = [], ""
    for line in dump.splitlines():
        if line.startswith("COPY "):
            table = line.split()[1]
            out.append(line)
        elif line == "\\.":
            table = ""
        else:
            out.append(f"{table}\t{line}" if table else line)
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="", help="a PostgreSQL URL (the database is dropped and created again)")
    parser.add_argument("--keep", default="", help="keep the SQLite file and the dumps in this directory")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="sealed-walk-"))
    work.mkdir(parents=True, exist_ok=True)
    base_env = {**os.environ, "DEBUG": "1", "SMS_BACKEND": "file", "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
                "EXPORT_ROOT": str(work / "exports")}
    clean = True

    db = work / "walk.sqlite3"
    for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        path.unlink(missing_ok=True)
    print(f"SQLite: {db}")
    env = {**base_env, "DATABASE_URL": f"sqlite:///{db}", "SMS_FILE_PATH": str(work / "sms-sqlite.jsonl")}
    walk(env)
    dump = subprocess.run(["sqlite3", str(db), ".dump"], check=True, capture_output=True, text=True).stdout
    (work / "walk.sqlite.sql").write_text(dump, encoding="utf-8")
    clean &= grep(dump, "sqlite3 .dump")

    if args.pg:
        parts = urlsplit(args.pg)
        name = parts.path.lstrip("/")
        admin = urlunsplit(parts._replace(path="/postgres"))
        subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True)
        print(f"PostgreSQL: {args.pg}")
        env = {**base_env, "DATABASE_URL": args.pg, "SMS_FILE_PATH": str(work / "sms-pg.jsonl")}
        walk(env)
        dump = subprocess.run(["pg_dump", "--no-owner", args.pg], check=True, capture_output=True, text=True).stdout
        (work / "walk.pg.sql").write_text(dump, encoding="utf-8")
        clean &= grep(pg_section_lines(dump), "pg_dump")

    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("no health answer in clear outside the statistics' counts" if clean else "HEALTH ANSWERS FOUND IN CLEAR")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
