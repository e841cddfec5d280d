"""The health pass through the JSON API: issue (QR image), verify, public keys."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.passes.services import pass_issue, pass_subject
from khaibao.passes.tests.helpers import give_status, payload_of, with_payload


def _b64key(key: Ed25519PrivateKey) -> str:
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return base64.urlsafe_b64encode(raw).decode()


def _verify(api: Any, account: Any, token: str) -> Any:
    return api.as_(account).post("/passes/verify", {"token": token})


# --- verify ---------------------------------------------------------------------------------


def test_it_verifies_a_fresh_pass_at_a_checkpoint(world: Any, api: Any) -> None:
    give_status(world.lan_self, level="low")
    issued = pass_issue(person=world.lan_self)
    resp = _verify(api, world.checkpoint, issued.token)
    assert resp.status_code == 200
    body = resp.json()
    # Exactly these keys: no level, no reasons, no name — never health details (the labels are
    # the colour's and the refusal reason's words, nothing more).
    assert set(body) == {
        "decision", "headline", "instruction", "instructions", "valid", "colour", "colour_label", "initials",
        "expires_at", "reason", "reason_message",
    }
    assert body["decision"] == "admit"
    assert body["valid"] is True
    assert body["colour"] == "green"
    assert body["initials"] == "NTL"
    assert body["reason"] is None
    assert abs(timezone.datetime.fromisoformat(body["expires_at"]) - issued.expires_at) < timedelta(seconds=1)


@pytest.mark.parametrize(
    ("status", "decision", "words_vi", "words_en"),
    [
        ({"level": "low"}, "admit", "Cho qua", "Let the person through"),
        ({"level": "medium"}, "admit_with_advice", "theo dõi sức khỏe", "keep watching their health"),
        ({"level": "high"}, "refer", "1900 9095", "1900 9095"),
        ({"level": "urgent", "is_f0": True}, "refer", "trạm y tế", "health station"),
        (None, "ask_to_declare", "khai báo", "declare"),
        ({"level": "low", "hours_ago": 30}, "ask_to_declare", "KB <CCCD>", "KB <CCCD>"),
    ],
)
def test_it_leads_with_what_the_checkpoint_does(
    world: Any, api: Any, status: dict[str, Any] | None, decision: str, words_vi: str, words_en: str
) -> None:
    if status is not None:
        give_status(world.hung_self, **status)
    token = pass_issue(person=world.hung_self).token
    client = api.as_(world.checkpoint)
    vi = client.post("/passes/verify", {"token": token}).json()
    en = client.post("/passes/verify", {"token": token}, headers={"Accept-Language": "en"}).json()
    assert vi["decision"] == en["decision"] == decision
    assert words_vi in vi["instruction"]
    assert words_en in en["instruction"]
    assert vi["instructions"] == en["instructions"] == {"vi": vi["instruction"], "en": en["instruction"]}
    assert vi["headline"] != en["headline"]
    # Still no health details: not the level, not a reason.
    assert "urgent" not in str(vi) + str(en)
    assert "F0" not in str(vi) + str(en)


def test_it_tells_where_to_declare(world: Any, api: Any, settings: Any) -> None:
    settings.PUBLIC_BASE_URL = "https://khaibao.example.vn"
    body = _verify(api, world.checkpoint, pass_issue(person=world.mai_self).token).json()
    assert body["decision"] == "ask_to_declare"
    assert "khaibao.example.vn" in body["instruction"]


@pytest.mark.parametrize("token", ["nonsense", "7K2QM-XD94P"])
def test_it_refuses_a_pass_that_is_not_valid(world: Any, api: Any, token: str) -> None:
    body = _verify(api, world.checkpoint, token).json()
    assert body["valid"] is False
    assert body["decision"] == "refuse"
    assert "Không chấp nhận" in body["instruction"]
    assert "Do not accept" in body["instructions"]["en"]


def test_it_refuses_an_expired_pass_whatever_its_colour(world: Any, api: Any) -> None:
    give_status(world.lan_self, level="low")
    issued = pass_issue(person=world.lan_self, now=timezone.now() - timedelta(hours=24, seconds=1))
    assert _verify(api, world.checkpoint, issued.token).json()["decision"] == "refuse"


def test_it_lets_officials_verify(world: Any, api: Any) -> None:
    issued = pass_issue(person=world.mai_self)
    for official in (world.national, world.ward_official):
        resp = _verify(api, official, issued.token)
        assert resp.status_code == 200
        assert resp.json()["valid"] is True
        assert resp.json()["colour"] == "grey"


@pytest.mark.parametrize("who", ["lan", "volunteer", "org_admin", "dpo"])
def test_it_refuses_verification_to_other_roles(world: Any, api: Any, who: str) -> None:
    issued = pass_issue(person=world.lan_self)
    resp = _verify(api, getattr(world, who), issued.token)
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"
    assert not AuditEvent.objects.filter(action="pass.verify").exists()


def test_it_asks_for_a_token_to_verify(world: Any, api: Any) -> None:
    assert api.post("/passes/verify", {"token": "x"}).status_code == 401
    resp = _verify(api, world.checkpoint, "")
    assert resp.status_code == 400
    assert "token" in resp.json()["error"]["fields"]
    resp = api.as_(world.checkpoint).post("/passes/verify", {"token": "x", "extra": 1})
    assert resp.status_code == 400


def test_it_shows_the_risk_colour_but_no_details(world: Any, api: Any) -> None:
    give_status(world.hung_self, level="urgent", reasons=["urgent.breath_fever"], monitoring_until=timezone.localdate())
    body = _verify(api, world.checkpoint, pass_issue(person=world.hung_self).token).json()
    assert body["colour"] == "red"
    assert "urgent" not in str(body)
    assert "breath" not in str(body)


def test_it_rejects_a_tampered_pass(world: Any, api: Any) -> None:
    give_status(world.hung_self, level="high")
    token = pass_issue(person=world.hung_self).token
    forged = with_payload(token, col="green")
    body = _verify(api, world.checkpoint, forged).json()
    assert body["decision"] == "refuse"
    assert {k: body[k] for k in ("valid", "colour", "initials", "expires_at", "reason")} == {
        "valid": False, "colour": None, "initials": None, "expires_at": None, "reason": "bad_signature",
    }


def test_it_rejects_a_stretched_expiry(world: Any, api: Any) -> None:
    token = pass_issue(person=world.lan_self).token
    forged = with_payload(token, exp=payload_of(token)["exp"] + 86400 * 30)
    assert _verify(api, world.checkpoint, forged).json()["reason"] == "bad_signature"


def test_it_rejects_an_expired_pass(world: Any, api: Any) -> None:
    issued = pass_issue(person=world.lan_self, now=timezone.now() - timedelta(hours=24, seconds=1))
    body = _verify(api, world.checkpoint, issued.token).json()
    assert body["valid"] is False
    assert body["reason"] == "expired"
    assert body["colour"] is None
    assert body["initials"] is None


def test_it_never_lets_a_green_pass_outlive_the_activity(world: Any, api: Any) -> None:
    give_status(world.lan_self, level="low", hours_ago=23)
    issued = pass_issue(person=world.lan_self)
    assert issued.colour == "green"
    assert issued.expires_at <= timezone.now() + timedelta(hours=1, seconds=1)
    later = pass_issue(person=world.lan_self, now=timezone.now() - timedelta(hours=2))
    assert later.expires_at <= timezone.now() + timedelta(hours=1, seconds=1)


def test_it_rejects_a_pass_signed_with_another_key(world: Any, api: Any, settings: Any) -> None:
    real = settings.PASS_SIGNING_KEY
    settings.PASS_SIGNING_KEY = _b64key(Ed25519PrivateKey.generate())
    foreign = pass_issue(person=world.lan_self).token
    settings.PASS_SIGNING_KEY = real
    assert _verify(api, world.checkpoint, foreign).json()["reason"] == "bad_signature"
    # Even claiming the real key id does not help a forger.
    ours = pass_issue(person=world.lan_self).token
    claimed = with_payload(foreign, kid=payload_of(ours)["kid"])
    assert _verify(api, world.checkpoint, claimed).json()["reason"] == "bad_signature"


def test_it_still_accepts_passes_of_a_retired_key(world: Any, api: Any, settings: Any) -> None:
    old = Ed25519PrivateKey.generate()
    settings.PASS_SIGNING_KEY = _b64key(old)
    token = pass_issue(person=world.lan_self).token
    settings.PASS_SIGNING_KEY = _b64key(Ed25519PrivateKey.generate())
    assert _verify(api, world.checkpoint, token).json()["reason"] == "bad_signature"
    raw_public = old.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    settings.PASS_VERIFY_KEYS = [base64.b64encode(raw_public).decode()]
    assert _verify(api, world.checkpoint, token).json()["valid"] is True


@pytest.mark.parametrize(
    "token",
    ["hello", "a.b.c", "....", "eyJ2IjoxfQ.AAAA", "!!!.???", "eyJ2IjoxfQ." + "A" * 86, "bm90IGpzb24." + "A" * 86],
)
def test_it_calls_garbage_malformed(world: Any, api: Any, token: str) -> None:
    body = _verify(api, world.checkpoint, token).json()
    assert body["valid"] is False
    assert body["reason"] == "malformed"


def test_it_accepts_surrounding_whitespace_from_a_paste(world: Any, api: Any) -> None:
    token = pass_issue(person=world.lan_self).token
    assert _verify(api, world.checkpoint, f"  {token}\n").json()["valid"] is True


def test_it_audits_every_verification_without_personal_data(world: Any, api: Any) -> None:
    token = pass_issue(person=world.lan_self).token
    _verify(api, world.checkpoint, token)
    _verify(api, world.checkpoint, with_payload(token, col="red"))
    _verify(api, world.national, "nonsense")
    events = list(AuditEvent.objects.filter(action="pass.verify").order_by("id"))
    assert [(e.actor_id, e.data["valid"], e.data["reason"]) for e in events] == [
        (world.checkpoint.pk, True, None),
        (world.checkpoint.pk, False, "bad_signature"),
        (world.national.pk, False, "malformed"),
    ]
    assert events[0].data["subject"] == pass_subject(world.lan_self.pk)
    assert events[0].person_id is None
    assert events[0].object_id == ""
    for event in events:
        text = str(event.data) + event.reason
        assert "NTL" not in text
        assert "Lan" not in text
        assert "green" not in text


def test_it_keeps_the_person_id_out_of_the_token(world: Any) -> None:
    payload = payload_of(pass_issue(person=world.lan_parent).token)
    assert set(payload) == {"v", "kid", "sub", "ini", "col", "iat", "exp"}
    assert payload["sub"] == pass_subject(world.lan_parent.pk)
    assert payload["sub"] != str(world.lan_parent.pk)
    assert payload["ini"] == "NVB"


def test_it_fits_a_readable_qr(world: Any) -> None:
    assert len(pass_issue(person=world.lan_parent).token) < 240


def test_it_verifies_in_a_bounded_number_of_queries(world: Any, api: Any, django_assert_max_num_queries: Any) -> None:
    token = pass_issue(person=world.lan_self).token
    client = api.as_(world.checkpoint)
    with django_assert_max_num_queries(8):
        assert client.post("/passes/verify", {"token": token}).status_code == 200


# --- keys -----------------------------------------------------------------------------------


def test_it_publishes_the_public_key_without_auth(world: Any, api: Any) -> None:
    resp = api.get("/passes/keys")
    assert resp.status_code == 200
    keys = resp.json()["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert set(key) == {"kid", "alg", "current", "public_key", "pem"}
    assert key["alg"] == "Ed25519"
    assert key["current"] is True
    assert key["pem"].startswith("-----BEGIN PUBLIC KEY-----")
    token = pass_issue(person=world.lan_self).token
    assert payload_of(token)["kid"] == key["kid"]
    assert "PRIVATE" not in resp.content.decode()


def test_it_lets_anyone_verify_offline_with_the_published_key(world: Any, api: Any) -> None:
    """The docs/health-pass.md recipe, step by step."""
    key = api.get("/passes/keys").json()["keys"][0]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    token = pass_issue(person=world.lan_self).token
    body_b64, sig_b64 = token.split(".")
    body = base64.urlsafe_b64decode(body_b64 + "=" * (-len(body_b64) % 4))
    signature = base64.urlsafe_b64decode(sig_b64 + "=" * (-len(sig_b64) % 4))
    public.verify(signature, body)  # raises InvalidSignature if forged
    forged_b64 = with_payload(token, col="green").split(".")[0]
    forged = base64.urlsafe_b64decode(forged_b64 + "=" * (-len(forged_b64) % 4))
    with pytest.raises(InvalidSignature):
        public.verify(signature, forged)


# --- pass.svg -------------------------------------------------------------------------------


def test_it_draws_the_qr_for_a_household_member(world: Any, api: Any) -> None:
    resp = api.as_(world.lan).get(f"/people/{world.lan_child.id}/pass.svg")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("image/svg+xml")
    assert resp["Cache-Control"] == "no-store"
    assert resp.content.lstrip().startswith(b"<svg")


def test_it_draws_the_qr_for_a_volunteers_assisted_person(world: Any, api: Any) -> None:
    assert api.as_(world.volunteer).get(f"/people/{world.ong_tu.id}/pass.svg").status_code == 200


@pytest.mark.parametrize("who", ["mai", "checkpoint", "ward_official"])
def test_it_hides_another_households_pass(world: Any, api: Any, who: str) -> None:
    resp = api.as_(getattr(world, who)).get(f"/people/{world.lan_child.id}/pass.svg")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "not_found"
    assert api.as_(world.lan).get("/people/999999/pass.svg").status_code == 404
    assert api.get(f"/people/{world.lan_child.id}/pass.svg").status_code == 401


def test_it_draws_the_qr_in_a_bounded_number_of_queries(world: Any, api: Any, django_assert_max_num_queries: Any) -> None:
    give_status(world.lan_self)
    client = api.as_(world.lan)
    with django_assert_max_num_queries(5):
        assert client.get(f"/people/{world.lan_self.id}/pass.svg").status_code == 200
