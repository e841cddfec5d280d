"""What a form's submission key keeps of the post (web/submissions.py): a keyed digest
(crypto.request_digest), never a plain hash a dump could be brute-forced against to recover a
daily update's answers."""

from __future__ import annotations

import hashlib

from django.test import Client
from django.utils import timezone

from khaibao.core import crypto
from khaibao.core.models import IdempotencyRecord


def test_a_daily_update_forms_record_keeps_the_keyed_digest_not_the_plain_hash(world):
    browser = Client()
    browser.force_login(world.lan)
    path = f"/people/{world.lan_child.id}/update/"
    form = {"submission_key": "k-digest", "day": timezone.localdate().isoformat(), "feeling": "unwell", "symptoms": "cough"}
    assert browser.post(path, form).status_code == 302

    record = IdempotencyRecord.objects.get(owner=f"web:{world.lan.pk}", key="k-digest")
    request = "\n".join(["POST", path, *(f"{k}={v}" for k, v in sorted(form.items()))]).encode()
    assert record.request_hash == crypto.request_digest(request)
    assert record.request_hash != hashlib.sha256(request).hexdigest()
