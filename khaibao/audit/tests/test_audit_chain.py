"""The audit trail is hash-chained: rows are appended unsealed, `manage.py seal_audit` (the
worker, every 10 s) links them; `manage.py verify_audit` passes, and finds tampering."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client

from khaibao.accounts.models import Account
from khaibao.audit import services as audit_services
from khaibao.audit import tasks as audit_tasks
from khaibao.audit.models import AuditEvent
from khaibao.audit.services import audit_record, audit_seal
from khaibao.audit.tasks import audit_chain_seal


def seal() -> str:
    out = StringIO()
    call_command("seal_audit", stdout=out)
    return out.getvalue()


def verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def trail(world: Any, api: Any, sms: Any) -> list[AuditEvent]:
    """A few events written through the public interface: sign-ins, tokens, a new person."""
    api.post("/auth/otp/request", {"phone": "0912345678"})
    token = api.post(
        "/auth/otp/verify", {"phone": "0912345678", "code": sms.last_code("+84912345678")}
    ).json()["token"]
    api.post(
        "/people",
        {"full_name": "Lê Văn Tèo", "sex": "male", "birth_year": 2018, "relation": "child", "ward_code": 70},
        headers={"Authorization": f"Bearer {token}"},
    )
    api.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
    seal()
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) >= 6
    return events


def test_it_verifies_an_intact_chain(trail):
    out = verify()
    assert f"Audit chain intact: {len(trail)} events." in out


def test_it_verifies_an_empty_chain(db):
    assert "intact: 0 events" in verify()


@pytest.mark.parametrize(
    "change",
    [
        {"action": "person.view"},
        {"reason": "nothing to see"},
        {"ip": "10.0.0.1"},
        {"data": {"created": False}},
        {"person_id": 1},
    ],
)
def test_it_names_a_tampered_row(trail, change):
    target = trail[len(trail) // 2]
    AuditEvent.objects.filter(pk=target.pk).update(**change)

    with pytest.raises(CommandError, match=rf"broken at event {target.pk} \(\d\d/\d\d/\d{{4}} [\d:]+\): its content does not match"):
        verify()


def test_it_names_a_row_whose_actor_was_swapped(trail, world):
    target = next(e for e in trail[1:] if e.actor_id)
    AuditEvent.objects.filter(pk=target.pk).update(actor_id=world.national.pk)
    with pytest.raises(CommandError, match=rf"event {target.pk}"):
        verify()


def test_it_finds_a_deleted_row_in_the_middle(trail):
    middle = len(trail) // 2
    AuditEvent.objects.filter(pk=trail[middle].pk).delete()

    with pytest.raises(CommandError, match=rf"broken at event {trail[middle + 1].pk} \(.*\): its link to the previous row is broken"):
        verify()


def test_it_finds_a_row_rewritten_with_a_fresh_hash(trail):
    # Recomputing a row's own hash is not enough: the next row still points at the old one.
    from khaibao.audit.services import _hash

    target = AuditEvent.objects.get(pk=trail[3].pk)
    target.reason = "rewritten"
    target.hash = _hash(target)
    target.save()

    with pytest.raises(CommandError, match=rf"broken at event {trail[4].pk} \(.*\): its link"):
        verify()


def test_it_keeps_the_chain_intact_when_an_account_is_deleted(trail):
    citizen = Account.objects.get(phone_index__isnull=False, api_sessions__label="otp")
    assert AuditEvent.objects.filter(actor_id=citizen.pk).exists()
    citizen.delete()
    assert "intact" in verify()


def test_it_shows_the_trail_read_only_in_the_admin(trail):
    admin = Account.objects.create_user(
        "root-admin", "a-long-admin-password", is_staff=True, role="checkpoint"
    )
    admin.user_permissions.add(*Permission.objects.filter(codename__endswith="auditevent"))
    client = Client()
    client.force_login(admin)
    event = trail[0]

    assert client.get("/admin/audit/auditevent/").status_code == 200
    page = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_still_answers_to_the_old_name(trail):
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert f"Audit chain intact: {len(trail)} events." in out.getvalue()


def test_it_fails_with_a_non_zero_exit_code(trail):
    AuditEvent.objects.filter(pk=trail[2].pk).update(reason="edited")
    with pytest.raises(CommandError) as caught:
        verify()
    # call_command raises; manage.py turns a CommandError into exit status 1.
    assert caught.value.returncode == 1


def test_it_finds_a_truncated_tail_against_the_anchor(trail, tmp_path):
    anchor = tmp_path / "audit-head.json"
    assert "intact" in verify("--anchor-file", str(anchor))
    head = json.loads(anchor.read_text())
    assert head["id"] == trail[-1].pk
    assert head["hash"] == trail[-1].hash

    # Cutting off the newest rows leaves a chain that is intact by itself.
    AuditEvent.objects.filter(pk__gte=trail[-2].pk).delete()
    assert "intact" in verify()
    with pytest.raises(CommandError, match=rf"anchored event {trail[-1].pk} is missing"):
        verify("--anchor-file", str(anchor))


def test_it_moves_the_anchor_forward_when_the_chain_grows(trail, tmp_path, world, api, sms):
    anchor = tmp_path / "audit-head.json"
    verify("--anchor-file", str(anchor))
    before = json.loads(anchor.read_text())["id"]
    api.post("/auth/otp/request", {"phone": "0912345679"})
    api.post("/auth/otp/verify", {"phone": "0912345679", "code": sms.last_code("+84912345679")})
    verify("--anchor-file", str(anchor))
    assert json.loads(anchor.read_text())["id"] == before  # the new rows are not sealed yet
    seal()
    verify("--anchor-file", str(anchor))
    after = json.loads(anchor.read_text())["id"]
    assert after > before
    assert after == AuditEvent.objects.order_by("-id").first().pk


def test_it_appends_unsealed_and_the_sealer_links_the_new_rows(trail, api, sms):
    api.post("/auth/otp/request", {"phone": "0912345679"})
    api.post("/auth/otp/verify", {"phone": "0912345679", "code": sms.last_code("+84912345679")})
    new = AuditEvent.objects.filter(pk__gt=trail[-1].pk).order_by("id")
    assert new.exists()
    assert all(e.hash is None and e.prev_hash == "" for e in new.all())

    out = verify()
    assert f"Audit chain intact: {len(trail)} events." in out
    assert f"{new.count()} newer events are waiting to be sealed" in out

    assert f"Sealed {new.count()} audit events; 0 waiting." in seal()
    sealed = list(new.all())
    assert sealed[0].prev_hash == trail[-1].hash
    assert all(e.hash for e in sealed)
    assert f"Audit chain intact: {len(trail) + len(sealed)} events." in verify()
    assert "waiting" not in verify()


def test_it_finds_an_unsealed_row_slipped_in_below_the_sealed_head(trail):
    # audit_record never leaves an unsealed row behind a sealed one; a row inserted into the
    # sealed part afterwards (outside the product) is caught.
    slipped = AuditEvent.objects.get(pk=trail[2].pk)
    AuditEvent.objects.filter(pk=slipped.pk).delete()
    slipped.hash, slipped.prev_hash = None, ""
    slipped.save(force_insert=True)
    with pytest.raises(CommandError, match=rf"broken at event {slipped.pk} \(.*\): it was never sealed"):
        verify()


def test_it_seals_every_ten_seconds_in_the_worker(settings):
    assert ("khaibao.audit.tasks.audit_chain_seal", 10) in settings.PERIODIC_TASKS


def _appended(n: int) -> int:
    # Events appended since the last seal (unsealed), as under a rush.
    for _ in range(n):
        audit_record(actor="rush", action="audit.export")
    return AuditEvent.objects.filter(hash__isnull=True).count()


def test_the_periodic_run_seals_a_backlog_of_several_batches_within_its_budget(trail, monkeypatch):
    # A rush appends more events than one batch: one run seals them all, one transaction a batch.
    waiting = _appended(5)
    assert waiting == 5
    batches: list[int] = []
    seal_once = audit_services._seal_batch

    def seal_counted(**kwargs: Any) -> int:
        sealed = seal_once(**kwargs)
        batches.append(sealed)
        return sealed

    monkeypatch.setattr(audit_tasks, "SEAL_BATCH", 2)
    monkeypatch.setattr(audit_services, "_seal_batch", seal_counted)
    assert audit_chain_seal.call() == {"sealed": 5, "waiting": 0}
    assert batches == [2, 2, 1]
    assert f"Audit chain intact: {len(trail) + 5} events." in verify()


def test_a_run_over_its_budget_leaves_the_rest_for_the_next(trail):
    assert _appended(3) == 3
    report = audit_seal(batch=1, budget_seconds=0)
    assert (report.sealed, report.waiting) == (1, 2)
    assert "Sealed 2 audit events; 0 waiting." in seal()
    assert f"Audit chain intact: {len(trail) + 3} events." in verify()
