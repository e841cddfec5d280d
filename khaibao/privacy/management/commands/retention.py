"""`manage.py retention [--dry-run]`: erase or anonymise what is past its retention period."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from khaibao.privacy.retention import retention_plan, retention_run
from khaibao.privacy.services import erasures_pending_run


class Command(BaseCommand):
    help = "Erase or anonymise personal data past its retention period (see docs/privacy.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only show, per table, how many rows would go")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            f"Periods: health data {settings.RETENTION_HEALTH_DAYS} days after last activity (a daily update also"
            f" {settings.RETENTION_HEALTH_DAYS} days after its own day), "
            f"notifications {settings.RETENTION_NOTIFICATION_DAYS} days, closed reports "
            f"{settings.RETENTION_REPORT_DAYS} days, audit events {settings.RETENTION_AUDIT_DAYS} days, "
            f"roster lines removed or declined {settings.RETENTION_ROSTER_REMOVED_DAYS} days, "
            f"roster error files {settings.RETENTION_ROSTER_ERRORS_DAYS} days, "
            f"volunteers' registrations never consented {settings.VOLUNTEER_PENDING_CONSENT_DAYS} days after the last code expired, "
            f"codes and sessions {settings.RETENTION_SHORT_LIVED_HOURS} hours."
        )
        plan = retention_plan()
        width = max(len(table) for table, _, _ in plan)
        if options["dry_run"]:
            for table, action, count in plan:
                self.stdout.write(f"{table:<{width}}  {action:<9}  {count}")
            total = sum(count for _, _, count in plan)
            self.stdout.write(f"Dry run: {total} rows would be erased or anonymised. Nothing was changed.")
            return
        pending = erasures_pending_run(limit=10_000)
        if pending:
            self.stdout.write(f"Ran {pending} pending erasures.")

        def progress(table: str, done: int) -> None:
            self.stdout.write(f"  {table}: {done}")

        done = retention_run(progress=progress)
        for table, action, _ in plan:
            self.stdout.write(f"{table:<{width}}  {action:<9}  {done.get(table, 0)}")
        self.stdout.write(self.style.SUCCESS(f"Done: {sum(done.values())} rows erased or anonymised."))
