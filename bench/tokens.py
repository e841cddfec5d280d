"""Bearer tokens and staff for the load driver, in bulk, on a database made by bench/generate.py.

    .venv/bin/python bench/tokens.py --db postgres://root@127.0.0.1:5432/khaibao_load --owners 50000

* one API token per household owner (accounts 1..N own people 3k-2, 3k-1, 3k — the generator's
  layout), inserted with COPY: only the SHA-256 is stored, as `token_issue` does; the clear
  values go to the JSON file the driver reads;
* a province official (Hà Nội) for the statistics summary and an organisation admin of a small
  organisation (1 root, 30 units, members = the first people) with one campaign and its rollup,
  for the compliance reads; their tokens are issued by the product's `token_issue`.

Re-running replaces the tokens labelled `bench-load`. `prepare_sqlite` builds the same shape
(smaller, through the ORM) in an embedded SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LABEL = "bench-load"
ORG_UNITS = 30


def _setup(db: str) -> None:
    os.environ["DATABASE_URL"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _staff_tokens(members: int) -> dict[str, Any]:
    """A province official and an organisation admin (with a small organisation), with tokens."""
    from django.db import transaction
    from django.utils import timezone

    from khaibao.accounts.models import Account
    from khaibao.accounts.tokens import token_issue
    from khaibao.orgs.models import Campaign, Member, OrgUnit
    from khaibao.orgs.rollups import compliance_refresh

    official, _ = Account.objects.get_or_create(
        username="bench-load-official",
        defaults={"role": "official", "display_name": "Bench", "scope_level": "province", "scope_province_id": 1},
    )
    with transaction.atomic():
        root = OrgUnit.objects.filter(code="BL", parent__isnull=True).first()
        if root is None:
            root = OrgUnit.objects.create(code="BL", name="Bench load org")
            units = [OrgUnit.objects.create(code=f"BL{k:03d}", name=f"Unit {k}", parent=root) for k in range(ORG_UNITS)]
            Member.objects.bulk_create(
                Member(unit=units[pid % ORG_UNITS], full_name=f"Member {pid}", phone="", phone_index=f"bl-{pid}",
                       role="doan_vien", person_id=pid, linked_at=timezone.now(), confirmed_at=timezone.now())
                for pid in range(1, members + 1)
            )
            today = timezone.localdate()
            Campaign.objects.create(
                unit=root, name="Bench campaign", starts_on=today - timedelta(days=7),
                deadline=today + timedelta(days=30), target_declared=True, target_updated_daily=True,
            )
    admin, _ = Account.objects.get_or_create(
        username="bench-load-org-admin", defaults={"role": "org_admin", "display_name": "Bench", "org_unit": root}
    )
    compliance_refresh(now=timezone.now())
    official_token, _ = token_issue(account=official, label=LABEL)
    admin_token, _ = token_issue(account=admin, label=LABEL)
    return {"official": official_token, "org_admin": admin_token, "org_unit": root.pk, "venues": _venues(admin)}


VENUES = 200


def _venues(admin: Any) -> list[str]:
    """The codes of VENUES venues in Hà Nội for the check-in target (issue 20), registered through
    the product's service by the organisation admin."""
    from khaibao.places.models import Ward
    from khaibao.venues.models import Venue
    from khaibao.venues.services import VenueInput, venue_register

    codes = list(Venue.objects.filter(registered_by=admin).values_list("code", flat=True))
    wards = list(Ward.objects.filter(province_id=1).values_list("code", flat=True)[:50])
    for k in range(len(codes), VENUES):
        venue = venue_register(actor=admin, data=VenueInput(
            name=f"Bench venue {k}", kind="shop", ward_code=wards[k % len(wards)], street=f"{k} phố Bench"))
        codes.append(venue.code)
    return codes


def prepare_postgres(db: str, owners: int, members: int = 3000) -> dict[str, Any]:
    """Tokens for `owners` household owners (COPY) plus the staff; returns what the driver needs."""
    _setup(db)
    import psycopg
    from django.utils import timezone

    from khaibao.core import crypto

    with psycopg.connect(db) as conn:
        (households,) = conn.execute("SELECT count(*) FROM accounts_account WHERE role = 'citizen'").fetchone()  # type: ignore[misc]
        (people,) = conn.execute("SELECT max(id) FROM people_person").fetchone()  # type: ignore[misc]
        owners = min(owners, households)
        conn.execute("DELETE FROM accounts_apitoken WHERE label = %s", [LABEL])
        values = [f"kb_{secrets.token_urlsafe(32)}" for _ in range(owners)]
        now = timezone.now()
        with conn.cursor() as cur, cur.copy(
            "COPY accounts_apitoken (account_id, token_hash, label, created_at, expires_at) FROM STDIN"
        ) as copy:
            for account_id, value in enumerate(values, start=1):
                copy.write_row((account_id, crypto.secret_hash(value), LABEL, now, now + timedelta(days=30)))
    owners_out = [
        {"token": value, "people": [p for p in (3 * k - 2, 3 * k - 1, 3 * k) if p <= people]}
        for k, value in enumerate(values, start=1)
    ]
    return {"db": db, "owners": owners_out, **_staff_tokens(members)}


def prepare_sqlite(db: str, households: int) -> dict[str, Any]:
    """A fresh embedded database (migrate) with `households` households of three and their tokens."""
    import subprocess

    path = Path(db.removeprefix("sqlite:///"))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": db}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    _setup(db)
    from django.db import transaction
    from django.utils import timezone

    from khaibao.accounts.models import Account, ApiToken
    from khaibao.core import crypto
    from khaibao.monitoring.models import PersonStatus
    from khaibao.people.models import HouseholdMembership, Person
    from khaibao.places.models import Ward

    ward = Ward.objects.filter(province_id=1).order_by("code").first()
    assert ward is not None
    now = timezone.now()
    values = [f"kb_{secrets.token_urlsafe(32)}" for _ in range(households)]
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            Account(username=f"bl-{k}", password="!", role="citizen", display_name="") for k in range(households)
        )
        accounts = list(Account.objects.filter(username__startswith="bl-").order_by("pk"))
        people = Person.objects.bulk_create(
            Person(full_name=f"Người {k}-{j}", birth_year=1970 + j * 20, sex="female", nationality_id="VN",
                   home_ward=ward, account=account if j == 0 else None)
            for k, account in enumerate(accounts) for j in range(3)
        )
        people = list(Person.objects.order_by("pk"))
        HouseholdMembership.objects.bulk_create(
            HouseholdMembership(owner=accounts[i // 3], person=p, relation=("self", "spouse", "child")[i % 3])
            for i, p in enumerate(people)
        )
        PersonStatus.objects.bulk_create(PersonStatus(person=p, home_ward=ward, home_province_id=1) for p in people)
        ApiToken.objects.bulk_create(
            ApiToken(account=a, token_hash=crypto.secret_hash(v), label=LABEL, created_at=now,
                     expires_at=now + timedelta(days=30))
            for a, v in zip(accounts, values, strict=True)
        )
    owners_out = [
        {"token": v, "people": [p.pk for p in people[3 * i: 3 * i + 3]]} for i, v in enumerate(values)
    ]
    return {"db": db, "owners": owners_out, **_staff_tokens(min(3000, len(people)))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--owners", type=int, default=50_000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.db.startswith("sqlite"):
        data = prepare_sqlite(args.db, args.owners)
    else:
        data = prepare_postgres(args.db, args.owners)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data))
    print(f"{len(data['owners'])} owner tokens, staff tokens → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
