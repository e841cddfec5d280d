"""POST /orgs/{id}/chase with an Idempotency-Key: a retry gets the same export job (its file
streamed again), counted once; another body with the same key is 422."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.exports.models import ExportJob, Kind

KEY = {"Idempotency-Key": "chase-1"}


@pytest.fixture(autouse=True)
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


def _bytes(resp: Any) -> bytes:
    return b"".join(resp.streaming_content)


def test_a_retried_chase_gets_the_same_job(world: Any, tree: Any, api: Any) -> None:
    admin = api.as_(tree.admin)
    first = admin.post(f"/orgs/{tree.hn.pk}/chase", {"status": "awaiting_confirmation"}, headers=KEY)
    assert first.status_code == 200
    first_bytes = _bytes(first)
    again = admin.post(f"/orgs/{tree.hn.pk}/chase", {"status": "awaiting_confirmation"}, headers=KEY)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert _bytes(again) == first_bytes
    assert again["X-Export-Id"] == first["X-Export-Id"]
    assert again["Content-Disposition"] == first["Content-Disposition"]
    assert ExportJob.objects.filter(kind=Kind.ORG_MEMBERS).count() == 1

    other = admin.post(f"/orgs/{tree.hn.pk}/chase", {"status": "not_done"}, headers=KEY)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert ExportJob.objects.filter(kind=Kind.ORG_MEMBERS).count() == 1
