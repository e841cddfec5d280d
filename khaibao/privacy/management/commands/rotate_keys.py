from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khaibao.audit.services import audit_record
from khaibao.core import rotation


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first key of FIELD_ENCRYPTION_KEYS (online, "
        "resumable), or with --blind-index recompute every blind index under BLIND_INDEX_KEY "
        "(application stopped). See docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; write nothing.")
        parser.add_argument("--batch", type=int, default=500, help="Rows per transaction (default 500).")
        parser.add_argument(
            "--blind-index",
            action="store_true",
            help="Recompute blind indexes under the current BLIND_INDEX_KEY instead of re-encrypting.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch"]
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        if options["blind_index"]:
            self._reindex(batch=batch, dry_run=options["dry_run"])
        else:
            self._reencrypt(batch=batch, dry_run=options["dry_run"])

    def _progress(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def _reencrypt(self, *, batch: int, dry_run: bool) -> None:
        counts = [
            rotation.reencrypt_model(model, columns, batch=batch, dry_run=dry_run, progress=self._progress)
            for model, columns in rotation.encrypted_models()
        ]
        unreadable = [where for c in counts for where in c.unreadable]
        if dry_run:
            pending = sum(c.pending for c in counts) - len(unreadable)
            self.stdout.write(f"Dry run: {pending} values need re-encryption, {sum(c.current for c in counts)} are current.")
        else:
            rotated = sum(c.rotated for c in counts)
            audit_record(
                actor="rotate_keys",
                action="keys.rotate",
                data={"rotated": {c.label: c.rotated for c in counts if c.rotated}, "unreadable": len(unreadable)},
            )
            meanwhile = sum(c.changed_meanwhile for c in counts)
            self.stdout.write(
                self.style.SUCCESS(
                    f"Re-encrypted {rotated} values; {sum(c.current for c in counts)} were already current; "
                    f"{meanwhile} changed by the application meanwhile."
                )
            )
        if unreadable:
            shown = ", ".join(unreadable[:20])
            raise CommandError(
                f"{len(unreadable)} values cannot be decrypted with any configured key and were left "
                f"untouched ({shown}). Do not remove an old key until they are accounted for."
            )

    def _reindex(self, *, batch: int, dry_run: bool) -> None:
        counts = [
            rotation.reindex(spec, batch=batch, dry_run=dry_run, progress=self._progress)
            for spec in rotation.blind_indexes()
        ]
        changed = sum(c.changed for c in counts)
        if dry_run:
            self.stdout.write(f"Dry run: {changed} blind indexes would change.")
            return
        expired = rotation.expire_pending_codes()
        audit_record(
            actor="rotate_keys",
            action="keys.reindex",
            data={"recomputed": {c.label: c.changed for c in counts if c.changed}, "codes_expired": expired},
        )
        self.stdout.write(
            self.style.SUCCESS(f"Recomputed {changed} blind indexes; closed {expired} pending one-time codes.")
        )
