"""Disclosures under an Idempotency-Key are answered afresh (api/idempotency.py, `idempotency_afresh`):
the full ID number of a case and a pass's verdict are never handed back from the key's store. A
stored reveal was replayed for a day to an official who had lost the person — a break-glass grant
ended, a move to another ward — with no access check and no audit event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from khaibao.accounts.models import BreakGlassGrant
from khaibao.audit.models import AuditEvent
from khaibao.core.models import IdempotencyRecord
from khaibao.passes.services import pass_issue
from khaibao.passes.tests.helpers import give_status

REASON = {"reason": "Gọi điện xác minh tiếp xúc F0"}


def _reveal(client: Any, person_id: int, key: str, body: dict[str, str] = REASON) -> Any:
    return client.post(f"/cases/{person_id}/reveal", body, headers={"Idempotency-Key": key})


def _reveals(person_id: int) -> int:
    return AuditEvent.objects.filter(action="person.reveal", person_id=person_id).count()


def test_a_retried_reveal_is_checked_and_audited_again_and_its_answer_never_kept(world: Any, api: Any) -> None:
    official, lan = world.ward_official, world.lan_self
    client = api.as_(official)

    first = _reveal(client, lan.pk, "reveal-1")
    again = _reveal(client, lan.pk, "reveal-1")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() == {"id_number": "001188000001", "phone": "+84900000001", "contacts": []}
    assert "Idempotent-Replayed" not in again  # answered by the view, not from the store
    assert _reveals(lan.pk) == 2
    record = IdempotencyRecord.objects.get(key="reveal-1")
    assert bytes(record.body) == b""  # a marker of the key only: no ID number kept beside it


def test_a_retried_reveal_after_a_move_to_another_ward_is_not_found(world: Any, api: Any) -> None:
    official, lan = world.ward_official, world.lan_self
    client = api.as_(official)
    assert _reveal(client, lan.pk, "reveal-2").status_code == 200

    official.scope_ward = world.ba_dinh
    official.save(update_fields=["scope_ward"])
    again = _reveal(client, lan.pk, "reveal-2")

    assert again.status_code == 404
    assert "001188000001" not in again.content.decode()
    assert _reveals(lan.pk) == 1


def test_a_retried_reveal_after_the_break_glass_grant_ended_is_not_found(world: Any, api: Any) -> None:
    official, hung = world.ward_official, world.hung_self  # Hùng lives in TP. HCM, outside her ward
    client = api.as_(official)
    grant = client.post("/break-glass", {"id_number": "079079000004", "reason": "Ca F0 liên tỉnh, cần liên hệ gấp"})
    assert grant.status_code == 201, grant.content
    assert _reveal(client, hung.pk, "reveal-3").json()["id_number"] == "079079000004"

    BreakGlassGrant.objects.filter(official=official).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert _reveal(client, hung.pk, "reveal-3").status_code == 404


def test_another_reveal_under_the_same_key_is_still_refused(world: Any, api: Any) -> None:
    client = api.as_(world.ward_official)
    assert _reveal(client, world.lan_self.pk, "reveal-4").status_code == 200

    other = _reveal(client, world.lan_self.pk, "reveal-4", {"reason": "Một lý do khác hẳn, đủ dài"})

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert _reveals(world.lan_self.pk) == 1


def test_a_refused_reveal_keeps_no_marker(world: Any, api: Any) -> None:
    client = api.as_(world.ward_official)
    assert _reveal(client, world.hung_self.pk, "reveal-5").status_code == 404  # not hers
    assert not IdempotencyRecord.objects.filter(key="reveal-5").exists()


def test_a_retried_pass_check_is_verified_and_audited_again(world: Any, api: Any) -> None:
    # Issued a second before it expires: the retry, after it, is told so — not the stored "admit".
    # The clock stands still for the first scan (a loaded CI machine once took over a second).
    give_status(world.lan_self, level="low")
    start = timezone.now()
    token = pass_issue(person=world.lan_self, now=start - timedelta(hours=24) + timedelta(seconds=1)).token
    checkpoint = api.as_(world.checkpoint)
    with time_machine.travel(start, tick=False):
        first = checkpoint.post("/passes/verify", {"token": token}, headers={"Idempotency-Key": "scan-1"})
    assert first.json()["decision"] == "admit"

    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        again = checkpoint.post("/passes/verify", {"token": token}, headers={"Idempotency-Key": "scan-1"})

    assert again.status_code == 200
    assert (again.json()["valid"], again.json()["reason"]) == (False, "expired")
    assert AuditEvent.objects.filter(action="pass.verify").count() == 2


def test_a_reveal_by_another_spelling_of_its_path_is_answered_afresh_too(world: Any, api: Any) -> None:
    # ninja reads "+5" as the id 5: the view says it answers afresh, whatever path reached it.
    official, lan = world.ward_official, world.lan_self
    client = api.as_(official)
    assert client.post(f"/cases/+{lan.pk}/reveal", REASON, headers={"Idempotency-Key": "reveal-6"}).status_code == 200
    assert bytes(IdempotencyRecord.objects.get(key="reveal-6").body) == b""

    official.scope_ward = world.ba_dinh
    official.save(update_fields=["scope_ward"])

    assert client.post(f"/cases/+{lan.pk}/reveal", REASON, headers={"Idempotency-Key": "reveal-6"}).status_code == 404
