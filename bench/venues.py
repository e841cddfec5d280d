"""Venue check-in at scale (issue 20 §5), on a database made by bench/generate.py:

    .venv/bin/python bench/generate.py --db postgres://root@127.0.0.1:5432/khaibao_20_venues --people 60000 \
        --updates 60000 --zones 10
    .venv/bin/python bench/venues.py --db postgres://root@127.0.0.1:5432/khaibao_20_venues

1. **Matching**: one venue with `--visitors` (50,000) people checked in during a place's window,
   among `--noise` check-ins at other venues and times; a place covering the venue is declared
   through the product's service and the exposure run's first step (one INSERT … SELECT per
   venue) is timed, then the first warning batch (re-assess + notify per person) for the rate.
2. **A check-in beside a daily update**, in the same process and run: `--calls` calls of
   `checkin_create` and of `daily_update_put` for random household owners, alternated in rounds,
   each through the product's service with its audit event (the HTTP layer is the same for
   both and is measured by `make bench-load`, target `checkins`).

Results are printed as JSON (and written with `--json`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://root@127.0.0.1:5432/khaibao_20_venues"


def _setup(db: str) -> None:
    os.environ["DATABASE_URL"] = db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _seed(visitors: int, noise: int) -> tuple[Any, Any]:
    """One venue with `visitors` distinct people checked in during the last hour, and `noise`
    check-ins elsewhere or earlier — written in SQL (the venue sealed as the service seals it)."""
    from django.db import connection
    from django.utils import timezone

    from khaibao.accounts.models import Account
    from khaibao.core.crypto import encrypt
    from khaibao.people.models import Person
    from khaibao.venues.models import CheckIn, VenueExposureRun
    from khaibao.venues.sealing import venue_index
    from khaibao.venues.services import VenueInput, venue_register

    VenueExposureRun.objects.all().delete()
    CheckIn.objects.all().delete()
    owner, _ = Account.objects.get_or_create(username="bench-venues-owner", defaults={"role": "org_admin", "display_name": "Bench"})
    venue = venue_register(actor=owner, data=VenueInput(
        name="Chợ Bench", kind="market", ward_code=70, street="1 Hàng Bench", lat=21.0245, lon=105.8530))
    other = venue_register(actor=owner, data=VenueInput(name="Quầy khác", kind="shop", ward_code=70, street="2 Hàng Bench"))
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True)[: visitors + noise])
    if len(ids) < visitors:
        raise SystemExit(f"only {len(ids)} people: generate at least {visitors}")
    now = timezone.now()
    sealed_here, sealed_other = encrypt(str(venue.pk)), encrypt(str(other.pk))
    with connection.cursor() as cursor:
        # The visitors: within the last hour, at the venue.
        cursor.execute(
            """
            INSERT INTO venues_checkin (person_id, account_id, venue_index, venue_sealed, at, day, via, created_at)
            SELECT p, NULL, %s, %s, %s - (random() * interval '55 minutes'), %s, 'scan', %s
              FROM unnest(%s::bigint[]) AS p
            """,
            [venue_index(venue.pk), sealed_here, now, timezone.localdate(now), now, ids[:visitors]],
        )
        # Noise: the same venue a day earlier, and another venue during the window.
        cursor.execute(
            """
            INSERT INTO venues_checkin (person_id, account_id, venue_index, venue_sealed, at, day, via, created_at)
            SELECT p, NULL, CASE WHEN n % 2 = 0 THEN %s ELSE %s END, CASE WHEN n % 2 = 0 THEN %s ELSE %s END,
                   CASE WHEN n % 2 = 0 THEN %s - interval '1 day' ELSE %s - interval '10 minutes' END, %s, 'scan', %s
              FROM unnest(%s::bigint[]) WITH ORDINALITY AS t(p, n)
            """,
            [venue_index(venue.pk), venue_index(other.pk), sealed_here, sealed_other, now, now,
             timezone.localdate(now), now, (ids * ((noise // max(len(ids), 1)) + 1))[:noise]],
        )
        cursor.execute("ANALYZE venues_checkin")
    return venue, now


def bench_matching(visitors: int, noise: int) -> dict[str, Any]:
    from django.utils import timezone

    from khaibao.accounts.models import Account
    from khaibao.venues.exposure import exposure_run_step
    from khaibao.venues.models import CheckIn, VenueExposure, VenueExposureRun
    from khaibao.zones.inputs import PlaceInput
    from khaibao.zones.places import place_declare

    started = time.perf_counter()
    venue, now = _seed(visitors, noise)
    seeded = time.perf_counter() - started
    official, _ = Account.objects.get_or_create(
        username="bench-venues-official",
        defaults={"role": "official", "display_name": "Bench", "scope_level": "province", "scope_province_id": 1},
    )
    place_declare(actor=official, data=PlaceInput(
        name="Chợ Bench", ward_code=70, lat=venue.lat, lon=venue.lon,
        window_start=now - timedelta(hours=1), window_end=timezone.now(), advice_vi="Gọi 1900 9095.",
    ))
    run = VenueExposureRun.objects.get(subject__startswith="place-version:")
    t0 = time.perf_counter()
    run = exposure_run_step(run_id=run.pk)
    match_seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    run = exposure_run_step(run_id=run.pk, size=200)
    warn_seconds = time.perf_counter() - t1
    return {
        "checkins_total": CheckIn.objects.count(), "visitors_in_window": visitors, "matched": run.matched,
        "exposures": VenueExposure.objects.filter(run=run).count(), "seed_seconds": round(seeded, 2),
        "match_seconds": round(match_seconds, 3), "warn_batch": 200, "warn_batch_seconds": round(warn_seconds, 2),
        "warned_per_second": round(200 / warn_seconds, 1),
    }


def bench_rate(calls: int, seed: int = 7) -> dict[str, Any]:
    """Check-ins and daily updates, alternated in rounds of 50, through the services."""
    from django.db import connection
    from django.utils import timezone

    from khaibao.accounts import ratelimit
    from khaibao.accounts.models import Account
    from khaibao.monitoring.models import Feeling
    from khaibao.monitoring.services import daily_update_put
    from khaibao.people.models import HouseholdMembership, Person
    from khaibao.venues.models import Venue
    from khaibao.venues.services import checkin_create

    rng = random.Random(seed)
    pairs = list(HouseholdMembership.objects.filter(owner__role="citizen").values_list("owner_id", "person_id")[:20000])
    owners = Account.objects.in_bulk({o for o, _ in pairs})
    codes = list(Venue.objects.values_list("code", flat=True))
    people = Person.objects.in_bulk({p for _, p in pairs})
    times: dict[str, list[float]] = {"checkin": [], "update": []}
    today = timezone.localdate()
    done = 0
    while done < calls:
        for kind in ("checkin", "update"):
            for _ in range(50):
                owner_id, person_id = rng.choice(pairs)
                owner, person = owners[owner_id], people[person_id]
                ratelimit.reset(f"venue-checkin:{owner.pk}")
                t = time.perf_counter()
                if kind == "checkin":
                    checkin_create(actor=owner, venue_code=rng.choice(codes), person_ids=[person_id])
                else:
                    daily_update_put(actor=owner, person=person, day=today, symptoms=[], feeling=Feeling.WELL)
                times[kind].append(time.perf_counter() - t)
        done += 50
    connection.close()
    out: dict[str, Any] = {"calls_each": done}
    for kind, values in times.items():
        out[f"{kind}_per_s"] = round(len(values) / sum(values), 1)
        out[f"{kind}_median_ms"] = round(statistics.median(values) * 1000, 2)
    out["checkin_over_update"] = round(out["checkin_per_s"] / out["update_per_s"], 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("VENUES_DB", DEFAULT_DB))
    parser.add_argument("--visitors", type=int, default=50_000)
    parser.add_argument("--noise", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    _setup(args.db)
    report = {"matching": bench_matching(args.visitors, args.noise), "rate": bench_rate(args.calls)}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
