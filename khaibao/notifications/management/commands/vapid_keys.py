from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from khaibao.notifications.vapid import vapid_keypair


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push, as environment lines (keep the private key secret)."

    def handle(self, *args: Any, **options: Any) -> None:
        private, public = vapid_keypair()
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}\nVAPID_PUBLIC_KEY={public}\n")
