from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from khaibao.audit.services import audit_seal


class Command(BaseCommand):
    help = (
        "Link the audit events appended since the last run into the hash chain (the worker does this "
        "every 10 s); repeats until none is left that can be sealed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5000, help="rows per transaction")
        parser.add_argument(
            "--wait", type=float, default=5.0,
            help="seconds to wait for transactions older than the run to end (PostgreSQL) before giving up",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_seal(batch=options["batch"], wait=options["wait"])
        self.stdout.write(f"Sealed {report.sealed} audit events; {report.waiting} waiting.")
