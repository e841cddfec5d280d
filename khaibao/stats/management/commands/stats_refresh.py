"""Recompute statistics rollups: `stats_refresh` (yesterday and today), `--days N`, `--date YYYY-MM-DD`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from khaibao.stats.services import rollup_refresh

MAX_DAYS = 366


class Command(BaseCommand):
    help = "Recompute the statistics rollups (default: yesterday and today) — for backfills."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--days", type=int, help=f"the last N days up to today (1–{MAX_DAYS})")
        group.add_argument("--date", help="one day, YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        days: list[date] | None = None
        if options["date"]:
            try:
                day = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("--date must be YYYY-MM-DD") from exc
            if day > today:
                raise CommandError("--date cannot be in the future")
            days = [day]
        elif options["days"] is not None:
            n = options["days"]
            if not 1 <= n <= MAX_DAYS:
                raise CommandError(f"--days must be between 1 and {MAX_DAYS}")
            days = [today - timedelta(days=i) for i in range(n - 1, -1, -1)]
        for result in rollup_refresh(days=days):
            self.stdout.write(
                f"{result.day.isoformat()}: {result.areas} ward rows, {result.codes} code rows"
                + (" (snapshot)" if result.snapshot else "")
            )
