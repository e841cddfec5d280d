from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khaibao.audit.services import audit_record
from khaibao.core import sealing


class Command(BaseCommand):
    help = (
        "Seal every health answer still stored in clear in a sealed column (written by a process of "
        "the release before issue 18 while the migrations ran), online and in batches. Exits "
        "non-zero with --check when any is left. See docs/privacy.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Count values in clear; write nothing.")
        parser.add_argument("--batch", type=int, default=2000, help="Rows per transaction (default 2000).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        counts = {
            model._meta.label: sealing.reseal_model(model, columns, batch=options["batch"], dry_run=options["check"])
            for model, columns in sealing.sealed_models()
        }
        total = sum(counts.values())
        detail = ", ".join(f"{label}: {n}" for label, n in counts.items() if n) or "none"
        if options["check"]:
            self.stdout.write(f"{total} health answers in clear ({detail}).")
            if total:
                raise CommandError("health answers in clear remain: run `manage.py seal_health_data`")
            return
        if total:
            audit_record(actor="seal_health_data", action="keys.seal", data={"sealed": counts})
        self.stdout.write(self.style.SUCCESS(f"Sealed {total} health answers left in clear ({detail})."))
