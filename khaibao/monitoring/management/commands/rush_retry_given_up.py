"""Hand the rush-mode daily updates whose assessment was given up back to the worker, once the
fault that stopped them is fixed (docs/scaling.md, "Rush mode")."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from khaibao.monitoring.pending import pending_retry_given_up


class Command(BaseCommand):
    help = "Retry the rush-mode daily updates whose assessment was given up."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"{pending_retry_given_up()} daily update(s) handed back to the worker")
