"""`manage.py rotate_keys`: data written under key A reads under key B alone afterwards."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.utils import timezone

from khaibao.accounts.models import Account
from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.core import crypto, rotation
from khaibao.core.models import IdempotencyRecord
from khaibao.declarations.models import Declaration
from khaibao.declarations.travel import travel_index
from khaibao.people.models import Person

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_keys", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[tuple[str, Any, str], Any]:
    """Every encrypted value in the database, decrypted with whatever keys are configured now."""
    values = {}
    for model, columns in rotation.encrypted_models():
        for row in model._default_manager.order_by("pk"):
            for f in columns:
                values[(model._meta.label, row.pk, f.name)] = getattr(row, f.name)
    return values


@pytest.fixture
def world_under_a(settings: Any, world: Any, api: Any) -> dict[tuple[str, Any, str], Any]:
    dev_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    # Move whatever the world wrote under the development key onto A, with the command itself.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A, *dev_keys]
    rotate()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    resp = api.as_(world.mai).post(
        "/people",
        {"full_name": "Lê Văn Tí", "sex": "male", "birth_year": 2019, "relation": "child", "ward_code": 4,
         "phone": "0911222333", "street": "12 Phố Huế"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert resp.status_code == 201, resp.content
    # Health answers (issue 18): a declaration with travel and a daily update with a temperature.
    lan = api.as_(world.lan)
    today = timezone.localdate()
    resp = lan.post(f"/people/{world.lan_self.pk}/declarations", {
        "travel": [{"ward_code": 4, "from": str(today - timedelta(days=3)), "to": str(today - timedelta(days=2))}],
        "symptoms": [{"code": "cough", "onset": str(today - timedelta(days=1))}], "conditions": ["diabetes"],
        "commitment": True, "consent": True,
    })
    assert resp.status_code == 201, resp.content
    resp = lan.put(f"/people/{world.lan_self.pk}/updates/{today}", {"symptoms": [], "temperature": 37.2, "feeling": "well"})
    assert resp.status_code in (200, 201), resp.content
    # An official's read: an audit event with a (encrypted) reason.
    assert api.as_(world.national).get(f"/cases/{world.lan_self.pk}").status_code == 200
    values = snapshot()
    assert any(label == "audit.AuditEvent" and v for (label, _, _), v in values.items())
    assert any(label == "core.IdempotencyRecord" for label, _, _ in values)
    assert any(label == "people.Person" and name == "street" and v for (label, _, name), v in values.items())
    assert any(label == "monitoring.DailyUpdate" and name == "temperature" and v for (label, _, name), v in values.items())
    assert any(label == "declarations.Declaration" and v for (label, _, _), v in values.items())
    return values


def test_it_discovers_every_encrypted_column():
    found = {f"{model._meta.label}.{f.name}" for model, columns in rotation.encrypted_models() for f in columns}
    assert {"people.Person.id_number", "people.Person.phone", "people.Person.street", "accounts.Account.phone",
            "cases.FollowUpAction.notes", "orgs.Member.phone", "reports.Report.description",
            "core.IdempotencyRecord.body",
            # Health answers (issue 18)
            "declarations.Declaration.answers", "monitoring.DailyUpdate.symptoms", "monitoring.DailyUpdate.temperature",
            "monitoring.DailyUpdate.feeling", "monitoring.Assessment.reasons", "monitoring.PersonStatus.reasons"} <= found


def test_it_moves_everything_to_the_new_key(settings, world_under_a):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    out = rotate()
    assert f"Re-encrypted {filled(world_under_a)} values" in out
    assert "people.Person:" in out
    assert "rows checked" in out

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert unchanged(world_under_a)
    assert AuditEvent.objects.filter(action="keys.rotate").exists()
    # Audit reasons were re-encrypted, yet the chain still holds: the hash covers the clear text.
    verified = StringIO()
    call_command("verify_audit", stdout=verified)
    assert "Audit chain intact" in verified.getvalue()


def test_it_replays_an_idempotent_response_after_rotation(settings, world_under_a, world, api):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    rotate()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    first = IdempotencyRecord.objects.get()
    resp = api.as_(world.mai).post(
        "/people",
        {"full_name": "Lê Văn Tí", "sex": "male", "birth_year": 2019, "relation": "child", "ward_code": 4,
         "phone": "0911222333", "street": "12 Phố Huế"},
        headers={"Idempotency-Key": "k-1"},
    )
    assert resp.content == first.body
    assert Person.objects.filter(full_name="Lê Văn Tí").count() == 1


def test_it_counts_without_writing_on_a_dry_run(settings, world_under_a):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    out = rotate("--dry-run")
    assert f"Dry run: {filled(world_under_a)} values need re-encryption, 0 are current." in out

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        snapshot()


def test_it_resumes_an_interrupted_run_and_is_idempotent(settings, world_under_a, monkeypatch):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    real = crypto.rotate_bytes
    calls = {"n": 0}

    def dies_after_a_while(token: bytes) -> bytes:
        calls["n"] += 1
        if calls["n"] > 15:
            raise KeyboardInterrupt
        return real(token)

    monkeypatch.setattr(crypto, "rotate_bytes", dies_after_a_while)
    with pytest.raises(KeyboardInterrupt):
        rotate("--batch", "4")
    monkeypatch.setattr(crypto, "rotate_bytes", real)

    # The batch that was cut short rolled back whole; the batches before it stay done.
    done = sum(crypto.is_current(t) for t in raw_tokens())
    assert 0 < done < filled(world_under_a)

    out = rotate("--batch", "4")
    assert f"Re-encrypted {filled(world_under_a) - done} values; {done} were already current" in out
    assert f"Re-encrypted 0 values; {filled(world_under_a)} were already current" in rotate()

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert unchanged(world_under_a)


def unchanged(before: dict[Any, Any]) -> bool:
    """Every value from `before` still reads the same (the command's own audit rows are new)."""
    now = snapshot()
    return {k: now.get(k) for k in before} == before


def filled(values: dict[Any, Any]) -> int:
    # Values stored as tokens: empty text and bytes are not encrypted, a sealed empty list is.
    return sum(1 for v in values.values() if v is not None and v not in ("", b""))


def raw_tokens() -> list[bytes]:
    tokens = []
    for model, columns in rotation.encrypted_models():
        for rows in rotation._batches(model, columns, 1000):
            for row in rows:
                tokens += [rotation._token(v) for v in row[1:] if v]
    return tokens


def test_it_never_overwrites_a_value_written_meanwhile(settings, world_under_a, world, monkeypatch):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    real = crypto.rotate_bytes
    lan = Person.objects.get(pk=world.lan_self.pk)

    def app_writes_first(token: bytes) -> bytes:
        fresh = real(token)
        # The application saves the person between the command's read and its write.
        if crypto.decrypt_bytes(token) == lan.street.encode():
            Person.objects.filter(pk=lan.pk).update(street="99 Hàng Bạc")
        return fresh

    monkeypatch.setattr(crypto, "rotate_bytes", app_writes_first)
    out = rotate()
    assert "1 changed by the application meanwhile" in out

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    assert Person.objects.get(pk=lan.pk).street == "99 Hàng Bạc"


def test_it_refuses_to_hide_a_value_no_key_opens(settings, world_under_a, world):
    # Written under a key that is no longer configured: a key was dropped too early.
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    Person.objects.filter(pk=world.mai_self.pk).update(street="12 Lý Thái Tổ")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    with pytest.raises(CommandError, match="cannot be decrypted with any configured key"):
        rotate()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    # Everything else moved on; the unreadable value was left exactly as it was.
    assert Person.objects.get(pk=world.lan_self.pk).street == world_under_a[("people.Person", world.lan_self.pk, "street")]


def test_it_recomputes_blind_indexes_under_a_new_key(settings, world_under_a, world, api, sms):
    old_index = Account.objects.get(pk=world.lan.pk).phone_index
    old_travel = Declaration.objects.get(person=world.lan_self).travel_index
    assert len(old_travel) == 2
    settings.BLIND_INDEX_KEY = "a-brand-new-blind-index-key-of-at-least-32-chars"

    assert "blind indexes would change" in rotate("--blind-index", "--dry-run")
    assert Account.objects.get(pk=world.lan.pk).phone_index == old_index

    out = rotate("--blind-index")
    assert "Recomputed" in out
    assert Account.objects.get(pk=world.lan.pk).phone_index == phone_index("+84900000001")
    assert Account.objects.get(pk=world.lan.pk).phone_index != old_index
    assert "Recomputed 0 blind indexes" in rotate("--blind-index")
    # The travel index of a sealed declaration (issue 18) is recomputed from its decrypted answers.
    declaration = Declaration.objects.get(person=world.lan_self)
    assert declaration.travel_index == travel_index(declaration.answers)
    assert len(declaration.travel_index) == 2  # the ward and its province
    assert not set(declaration.travel_index) & set(old_travel)

    # Sign-in by phone finds the same account under the new key: no duplicate is created.
    api.post("/auth/otp/request", {"phone": "0900000001"})
    resp = api.post("/auth/otp/verify", {"phone": "0900000001", "code": sms.last_code("+84900000001")})
    assert resp.status_code == 200
    assert Account.objects.filter(phone_index=phone_index("+84900000001")).count() == 1
