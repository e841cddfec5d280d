"""Application-side protection of personal data (DESIGN.md §7).

* `encrypt` / `decrypt`: Fernet under a key list — the first key encrypts, every key decrypts,
  so keys rotate without losing data.
* `blind_index`: a keyed HMAC for exact-match lookups (sign-in by phone, deduplication by ID
  number) without storing the value in clear. A separate key, so rotating encryption keys
  never invalidates the indexes.
* `request_digest`: the keyed digest of a request kept to recognise its retry (idempotency
  records), under a key derived from the blind-index key.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def current_fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    return current_fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return current_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # pragma: no cover - a key was removed before rotation finished
        raise ValueError("field cannot be decrypted with the configured keys") from exc


def encrypt_bytes(value: bytes) -> bytes:
    return current_fernet().encrypt(value)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return current_fernet().decrypt(token)
    except InvalidToken as exc:
        raise ValueError("field cannot be decrypted with the configured keys") from exc


def rotate(token: str) -> str:
    """Re-encrypt `token` under the first (current) key."""
    return rotate_bytes(token.encode()).decode()


def is_current(token: bytes) -> bool:
    """Whether `token` is already encrypted under the first (current) key."""
    try:
        _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS[:1])).decrypt(token)
    except InvalidToken:
        return False
    return True


def rotate_bytes(token: bytes) -> bytes:
    """Re-encrypt `token` under the first key, proving the new token decrypts to the same value.

    Raises ValueError when no configured key opens `token`: the caller must not write then,
    because a value nobody can read any more is already lost and must not be hidden.
    """
    fernet = current_fernet()
    try:
        plain = fernet.decrypt(token)
    except InvalidToken as exc:
        raise ValueError("field cannot be decrypted with the configured keys") from exc
    fresh = fernet.encrypt(plain)
    # Only the first key may open the new token, and it must give back the very same bytes.
    if _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS[:1])).decrypt(fresh) != plain:  # pragma: no cover
        raise ValueError("re-encrypted value does not decrypt to the original")
    return fresh


def blind_index(value: str, *, purpose: str) -> str:
    """Deterministic keyed hash of `value`; `purpose` keeps indexes of different fields apart."""
    key = settings.BLIND_INDEX_KEY.encode()
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def request_digest(data: bytes) -> str:
    """Keyed digest (HMAC-SHA256, 64 hex digits) of a request kept to recognise its retry: the
    API's Idempotency-Key and the citizen forms' submission key (core/idempotency.py's records).

    Keyed because a daily update's body (day, symptoms, temperature, feeling) is a tiny space: a
    plain hash in a dump, a replica or a backup would give the sealed answers back by brute force.
    """
    # One C call (OpenSSL's one-shot HMAC) with the key derived once: on the daily update's hot path
    # it costs two SHA-256 blocks more than the plain hash did.
    return hmac.digest(_request_digest_key(settings.BLIND_INDEX_KEY), data, hashlib.sha256).hex()


@lru_cache(maxsize=2)
def _request_digest_key(root: str) -> bytes:
    # Derived from the blind-index key, which changes only in a maintenance stop when it may have
    # leaked (docs/operations.md): a record's digest stays comparable for its 24 h, where the
    # encryption keys rotate routinely. The label holds no NUL, so no blind-index message
    # ("purpose NUL value") can equal it. Cached by the key's value: an overridden setting gets its own.
    return hmac.digest(root.encode(), b"khaibao request digest", hashlib.sha256)


def secret_hash(value: str) -> str:
    """Hash for high-entropy secrets (API tokens): no key needed, nothing to brute-force."""
    return hashlib.sha256(value.encode()).hexdigest()
