"""The keyed digest kept to recognise a retried request (core/crypto.py `request_digest`): a
database dump must not give a daily update's answers back by hashing every possible body."""

from __future__ import annotations

import hashlib

from khaibao.core import crypto

BODY = b'PUT\n/api/v1/people/7/updates/2026-11-26\n{"symptoms": ["cough"], "temperature": 37.9, "feeling": "unwell"}'


def test_it_is_not_the_plain_sha256_of_the_request():
    digest = crypto.request_digest(BODY)
    assert digest != hashlib.sha256(BODY).hexdigest()
    assert len(digest) == 64  # the column's width
    assert set(digest) <= set("0123456789abcdef")


def test_it_is_the_same_for_the_same_request_so_a_retry_matches():
    assert crypto.request_digest(BODY) == crypto.request_digest(bytes(BODY))
    assert crypto.request_digest(BODY) != crypto.request_digest(BODY.replace(b"unwell", b"well"))


def test_it_depends_on_the_server_key(settings):
    before = crypto.request_digest(BODY)
    settings.BLIND_INDEX_KEY = "another-blind-index-key-of-at-least-32-characters"
    assert crypto.request_digest(BODY) != before


def test_it_is_unrelated_to_a_blind_index_under_the_same_key():
    text = BODY.decode()
    assert crypto.request_digest(BODY) not in {crypto.blind_index(text, purpose=p) for p in ("", "request", "idempotency-ip")}
