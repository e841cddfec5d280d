from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from khaibao.audit.services import audit_anchor_check, audit_verify


class Command(BaseCommand):
    help = (
        "Verify the sealed audit hash chain; exits non-zero at the first tampered or missing row, and "
        "says how many newer events wait to be sealed. "
        "With --anchor-file, also checks the chain head recorded there (truncation) and records the new head."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor-file",
            help="JSON file kept outside the database (e.g. backed up or published) holding an earlier "
            "chain head. Checked when present; rewritten with the current head when the chain is intact.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            at = timezone.localtime(report.broken_at_time).strftime("%d/%m/%Y %H:%M:%S") if report.broken_at_time else "?"
            raise CommandError(
                f"Audit chain broken at event {report.broken_at} ({at}): {report.problem}. "
                f"{report.checked} events verified before it."
            )
        anchor = Path(options["anchor_file"]) if options.get("anchor_file") else None
        if anchor is not None and anchor.exists():
            try:
                head = json.loads(anchor.read_text(encoding="utf-8"))
                problem = audit_anchor_check(anchor_id=int(head["id"]), anchor_hash=str(head["hash"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"Anchor file {anchor} is unreadable: {exc}") from exc
            if problem:
                raise CommandError(f"Audit chain does not match the anchor in {anchor}: {problem}.")
        if anchor is not None and report.last_id is not None:
            anchor.write_text(
                json.dumps({"id": report.last_id, "hash": report.last_hash, "verified_at": timezone.now().isoformat()}),
                encoding="utf-8",
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events."))
        if report.unsealed:
            # Not an error: `seal_audit` (every 10 s in the worker) has not linked them yet.
            self.stdout.write(f"{report.unsealed} newer events are waiting to be sealed into the chain.")
