"""Reading PASS_SIGNING_KEY: PEM or base64 of 32 raw bytes, and a clear error otherwise."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured

from khaibao.passes.services import pass_issue
from khaibao.passes.signing import load_private_key
from khaibao.passes.verify import pass_check


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def _pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_it_reads_every_documented_key_form() -> None:
    key = Ed25519PrivateKey.generate()
    expected = _raw(key)
    forms = [
        base64.urlsafe_b64encode(expected).decode(),
        base64.urlsafe_b64encode(expected).decode().rstrip("="),
        base64.b64encode(expected).decode(),
        _pem(key),
        _pem(key).replace("\n", "\\n"),  # one-line PEM from an env file
    ]
    for value in forms:
        assert _raw(load_private_key(value)) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("not a key!", "neither"),
        (base64.b64encode(b"x" * 16).decode(), "decodes to 16"),
        ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "not a readable"),
    ],
)
def test_it_explains_a_bad_key(value: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        load_private_key(value)


def test_it_refuses_a_key_of_another_algorithm() -> None:
    with pytest.raises(ImproperlyConfigured, match="Ed25519"):
        load_private_key(_pem(ec.generate_private_key(ec.SECP256R1())))


def test_it_signs_with_a_pem_key(world: Any, settings: Any) -> None:
    settings.PASS_SIGNING_KEY = _pem(Ed25519PrivateKey.generate())
    assert pass_check(pass_issue(person=world.mai_self).token).valid
