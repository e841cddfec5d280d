"""Ed25519 keys and the compact signed token of the QR health pass.

Token: ``base64url(payload) "." base64url(signature)`` without padding, where `payload` is
compact UTF-8 JSON and `signature` is Ed25519 over the payload bytes. docs/health-pass.md
describes the format for checkpoints that verify offline with the published public key.

The signing key is ``settings.PASS_SIGNING_KEY`` (PEM, or base64 of the 32 raw bytes). Retired
keys stay verifiable through ``settings.PASS_VERIFY_KEYS`` (base64 raw public keys) until the
passes they signed have expired — at most one pass lifetime after a rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN_VERSION = 1
# A QR scanned at a gate should never be large; anything longer is not one of ours.
MAX_TOKEN_LENGTH = 1024
_B64URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; raises ValueError on anything else."""
    if not text or any(ch not in _B64URL_ALPHABET for ch in text):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def load_private_key(value: str) -> Ed25519PrivateKey:
    """Parse an Ed25519 private key from PEM or from base64 (standard or url-safe) of 32 raw bytes.

    Raises ImproperlyConfigured with a message that says what was wrong, never the key itself.
    """
    text = (value or "").strip()
    if not text:
        raise ImproperlyConfigured("PASS_SIGNING_KEY is empty: set an Ed25519 private key (see docs/health-pass.md).")
    if text.startswith("-----BEGIN"):
        # Environment files often carry a PEM on one line with literal "\n".
        pem = text.replace("\\n", "\n").encode()
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"PASS_SIGNING_KEY is not a readable unencrypted PEM private key: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured(
                f"PASS_SIGNING_KEY must be an Ed25519 key, not {type(key).__name__.removeprefix('_')}."
            )
        return key
    raw = _decode_raw_key(text, name="PASS_SIGNING_KEY")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(value: str) -> Ed25519PublicKey:
    """Parse an Ed25519 public key from PEM or base64 of its 32 raw bytes."""
    text = (value or "").strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.replace("\\n", "\n").encode())
        except ValueError as exc:
            raise ImproperlyConfigured(f"PASS_VERIFY_KEYS holds an unreadable PEM public key: {exc}") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise ImproperlyConfigured("PASS_VERIFY_KEYS must hold Ed25519 public keys.")
        return key
    return Ed25519PublicKey.from_public_bytes(_decode_raw_key(text, name="PASS_VERIFY_KEYS"))


def _decode_raw_key(text: str, *, name: str) -> bytes:
    compact = text.replace("+", "-").replace("/", "_").rstrip("=")
    try:
        raw = b64url_decode(compact)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must be a PEM key or base64 of 32 raw Ed25519 key bytes; it is neither."
        ) from exc
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{name} must decode to 32 bytes for Ed25519; it decodes to {len(raw)}.")
    return raw


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: derived from it, so nothing has to be configured."""
    return hashlib.sha256(public_raw(key)).hexdigest()[:8]


@dataclass(frozen=True)
class PublicKeyInfo:
    kid: str
    key: Ed25519PublicKey
    current: bool

    @property
    def raw_b64(self) -> str:
        return base64.b64encode(public_raw(self.key)).decode("ascii")

    @property
    def pem(self) -> str:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")


@dataclass(frozen=True)
class Keyring:
    signing_key: Ed25519PrivateKey
    signing_kid: str
    public: tuple[PublicKeyInfo, ...]

    def find(self, kid: str) -> Ed25519PublicKey | None:
        for info in self.public:
            if info.kid == kid:
                return info.key
        return None


@lru_cache(maxsize=4)
def _keyring(signing: str, previous: tuple[str, ...]) -> Keyring:
    private = load_private_key(signing)
    current = PublicKeyInfo(kid=key_id(private.public_key()), key=private.public_key(), current=True)
    infos = [current]
    for value in previous:
        key = load_public_key(value)
        if key_id(key) not in {info.kid for info in infos}:
            infos.append(PublicKeyInfo(kid=key_id(key), key=key, current=False))
    return Keyring(signing_key=private, signing_kid=current.kid, public=tuple(infos))


def keyring() -> Keyring:
    """The current signing key and every public key a pass may be verified with."""
    previous = getattr(settings, "PASS_VERIFY_KEYS", None) or []
    return _keyring(settings.PASS_SIGNING_KEY, tuple(previous))


def token_sign(payload: dict[str, Any]) -> str:
    ring = keyring()
    body = json.dumps({**payload, "kid": ring.signing_kid}, ensure_ascii=False, separators=(",", ":")).encode()
    return f"{b64url_encode(body)}.{b64url_encode(ring.signing_key.sign(body))}"


class TokenError(Exception):
    """Why a token was refused: `code` is "malformed" or "bad_signature"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def token_open(token: str) -> dict[str, Any]:
    """The payload of a token whose signature checks out under a published key.

    Expiry is the caller's business (it needs a clock); shape and signature are checked here.
    """
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 1:
        raise TokenError("malformed")
    body_text, sig_text = token.split(".")
    try:
        body = b64url_decode(body_text)
        signature = b64url_decode(sig_text)
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("malformed") from None
    if not isinstance(payload, dict) or len(signature) != 64 or not isinstance(payload.get("kid"), str):
        raise TokenError("malformed")
    key = keyring().find(payload["kid"])
    if key is None:
        raise TokenError("bad_signature")
    try:
        key.verify(signature, body)
    except InvalidSignature:
        raise TokenError("bad_signature") from None
    return payload
