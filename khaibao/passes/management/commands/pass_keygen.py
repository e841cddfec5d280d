"""Print a new Ed25519 key pair for signing health passes (docs/health-pass.md, key rotation)."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand

from khaibao.passes.signing import key_id, public_raw


class Command(BaseCommand):
    help = "Generate a pass-signing key: PASS_SIGNING_KEY (secret) and its public key and key id."

    def handle(self, *args: Any, **options: Any) -> None:
        private = Ed25519PrivateKey.generate()
        raw = private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        public = private.public_key()
        self.stdout.write(f"PASS_SIGNING_KEY={base64.urlsafe_b64encode(raw).decode()}")
        self.stdout.write(f"# public key (for PASS_VERIFY_KEYS after the next rotation): {base64.b64encode(public_raw(public)).decode()}")
        self.stdout.write(f"# key id: {key_id(public)}")
