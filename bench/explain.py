"""EXPLAIN ANALYZE of the queries behind the measured endpoints and jobs, on a generated database.

    .venv/bin/python bench/explain.py --db postgres://root@127.0.0.1:5432/khaibao_bench [--only stats]

The plans quoted in bench/RESULTS.md (before/after an index) come from this script.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def plans() -> dict[str, Callable[[], Any]]:
    from django.db.models import F
    from django.utils import timezone

    from bench.measure import staff
    from khaibao.cases.triage import TriageFilters, _filtered
    from khaibao.people.models import HouseholdMembership
    from khaibao.stats import services as stats

    today = timezone.localdate()
    day = today - timedelta(days=1)
    codes = ("fever", "cough")
    national = staff("bench-national", scope_level="national")
    provincial = staff("bench-province", scope_level="province", scope_province_id=1)

    def triage(user: Any) -> Any:
        return (
            _filtered(user, TriageFilters(), today)
            .select_related("person", "home_ward")
            .order_by("-queue_rank", "queue_since", "person_id")[:51]
        )

    def query_of(fn: Callable[..., Any], *args: Any) -> Any:
        # The stats helpers return evaluated dicts: capture the queryset they build instead.
        from django.db.models.query import QuerySet

        captured: list[Any] = []
        original = QuerySet._fetch_all

        def grab(self: Any) -> None:
            captured.append(self)
            original(self)

        QuerySet._fetch_all = grab  # type: ignore[method-assign]
        try:
            fn(*args)
        finally:
            QuerySet._fetch_all = original  # type: ignore[method-assign]
        return captured[0]

    return {
        "triage first page, province": lambda: triage(provincial),
        "triage first page, national": lambda: triage(national),
        "stats: daily updates of one day": lambda: query_of(stats._update_counts, day, codes),
        "stats: declarations of one day": lambda: query_of(stats._declaration_counts, day, codes),
        "stats: follow-up actions of one day": lambda: query_of(stats._followup_counts, day),
        "stats: status snapshot": lambda: query_of(stats._status_counts, today),
        "household owners of one person": lambda: HouseholdMembership.objects.filter(person_id=1).values(
            owner=F("owner_id")
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "postgres://root@127.0.0.1:5432/khaibao_bench"))
    parser.add_argument("--only", default="", help="run the plans whose name contains this text")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.db
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    for name, build in plans().items():
        if args.only and args.only not in name:
            continue
        print(f"### {name}\n{build().explain(analyze=True, buffers=True)}\n", flush=True)


if __name__ == "__main__":
    main()
