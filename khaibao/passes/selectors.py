"""Reads for the health pass: the published public keys."""

from __future__ import annotations

from khaibao.passes.signing import PublicKeyInfo, keyring


def pass_public_keys() -> list[PublicKeyInfo]:
    """Every public key a pass may currently be verified with, the signing key's first."""
    return list(keyring().public)
