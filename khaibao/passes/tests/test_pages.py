"""The pass on the web: the citizen's QR image, the card, and the checkpoint's verify page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.passes.services import pass_issue
from khaibao.passes.tests.helpers import give_status, sign_in_staff, with_payload

VERIFY_URL = "/staff/verify/"


def test_it_serves_the_qr_image_to_the_household_owner(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    resp = client.get(f"/people/{world.lan_parent.id}/pass.svg")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("image/svg+xml")
    assert resp["Cache-Control"] == "no-store"
    assert b"<svg" in resp.content


def test_it_hides_another_households_qr_image(world: Any, client: Client) -> None:
    assert client.get(f"/people/{world.lan_parent.id}/pass.svg").status_code == 404
    client.force_login(world.mai)
    assert client.get(f"/people/{world.lan_parent.id}/pass.svg").status_code == 404


def test_it_renders_the_pass_card(world: Any, rf: Any) -> None:
    give_status(world.lan_self, level="medium")
    info = pass_issue(person=world.lan_self)
    html = render_to_string("passes/_pass_card.html", {"person": world.lan_self, "pass_info": info}, request=rf.get("/"))
    assert f"/people/{world.lan_self.id}/pass.svg" in html
    assert "pass-yellow" in html
    assert "NTL" in html
    assert timezone.localtime(info.expires_at).strftime("%d/%m/%Y %H:%M") in html
    assert info.token in html


def test_it_shows_the_verify_page_to_a_checkpoint(world: Any, client: Client) -> None:
    sign_in_staff(client, world.checkpoint)
    resp = client.get(VERIFY_URL)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'name="token"' in html
    assert "/static/js/verify-scanner.js" in html  # the camera scanner (BarcodeDetector or html5-qrcode)
    assert "html5-qrcode.min.js" in html  # its fallback library, loaded only when needed
    assert 'id="verify-result"' in html


def test_it_verifies_a_pasted_code_on_the_page(world: Any, client: Client) -> None:
    give_status(world.hung_self, level="high", reasons=["high.f1_contact"])
    token = pass_issue(person=world.hung_self).token
    sign_in_staff(client, world.checkpoint)
    resp = client.post(VERIFY_URL, {"token": token})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "verdict-valid" in html
    assert "pass-red" in html
    assert "PVH" in html
    assert "f1_contact" not in html
    assert "high" not in html.lower().replace("highlight", "")
    assert AuditEvent.objects.filter(action="pass.verify", actor=world.checkpoint).count() == 1


def test_it_verifies_a_typed_short_code_on_the_page(world: Any, client: Client) -> None:
    from khaibao.passes.services import pass_issue_with_code

    give_status(world.hung_self, level="high", reasons=["high.f1_contact"])
    code = pass_issue_with_code(person=world.hung_self).code_display
    sign_in_staff(client, world.checkpoint)
    html = client.post(VERIFY_URL, {"token": code.lower()}).content.decode()
    assert "verdict-valid" in html
    assert "pass-red" in html
    assert "PVH" in html
    html = client.post(VERIFY_URL, {"token": "ZZZZZ-ZZZZZ"}, headers={"Accept-Language": "en"}).content.decode()
    assert "verdict-invalid" in html
    assert "No valid pass has this code" in html


def test_it_shows_invalid_for_a_forged_code(world: Any, client: Client) -> None:
    token = with_payload(pass_issue(person=world.lan_self).token, col="green")
    sign_in_staff(client, world.checkpoint)
    html = client.post(VERIFY_URL, {"token": token}).content.decode()
    assert "verdict-invalid" in html
    assert "NTL" not in html


def test_it_shows_when_a_code_expired(world: Any, client: Client) -> None:
    issued = pass_issue(person=world.lan_self, now=timezone.now() - timedelta(hours=30))
    sign_in_staff(client, world.checkpoint)
    html = client.post(VERIFY_URL, {"token": issued.token}).content.decode()
    assert "verdict-invalid" in html
    assert timezone.localtime(issued.expires_at).strftime("%d/%m/%Y %H:%M") in html


def test_it_answers_htmx_with_only_the_result(world: Any, client: Client) -> None:
    sign_in_staff(client, world.checkpoint)
    resp = client.post(VERIFY_URL, {"token": pass_issue(person=world.lan_self).token}, headers={"HX-Request": "true"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert html.lstrip().startswith('<section id="verify-result"')
    assert "verdict-valid" in html


def test_it_asks_for_the_code_when_empty(world: Any, client: Client) -> None:
    sign_in_staff(client, world.checkpoint)
    resp = client.post(VERIFY_URL, {"token": "  "})
    assert resp.status_code == 400
    assert "field-error" in resp.content.decode()
    assert not AuditEvent.objects.filter(action="pass.verify").exists()


def test_it_lets_an_official_with_second_factor_verify(world: Any, client: Client) -> None:
    sign_in_staff(client, world.ward_official)
    resp = client.post(VERIFY_URL, {"token": pass_issue(person=world.lan_self).token})
    assert resp.status_code == 200
    assert "verdict-valid" in resp.content.decode()


def test_it_sends_an_official_without_second_factor_to_totp(world: Any, client: Client) -> None:
    client.force_login(world.ward_official)
    resp = client.get(VERIFY_URL)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/staff/2fa/")


@pytest.mark.parametrize("who", ["lan", "org_admin"])
def test_it_refuses_the_verify_page_to_other_roles(world: Any, client: Client, who: str) -> None:
    account = getattr(world, who)
    client.force_login(account)
    assert client.get(VERIFY_URL).status_code == 403
    assert client.post(VERIFY_URL, {"token": "x"}).status_code == 403
    assert not AuditEvent.objects.filter(action="pass.verify").exists()


def test_it_sends_strangers_to_staff_sign_in(world: Any, client: Client) -> None:
    resp = client.get(VERIFY_URL)
    assert resp.status_code == 302
    assert resp["Location"].startswith("/staff/sign-in/")


def test_it_generates_a_usable_signing_key(world: Any, settings: Any) -> None:
    import io

    from django.core.management import call_command

    from khaibao.passes.verify import pass_check

    out = io.StringIO()
    call_command("pass_keygen", stdout=out)
    line = next(x for x in out.getvalue().splitlines() if x.startswith("PASS_SIGNING_KEY="))
    settings.PASS_SIGNING_KEY = line.split("=", 1)[1]
    assert pass_check(pass_issue(person=world.lan_self).token).valid


def test_it_offers_a_camera_scanner_from_npm_where_the_browser_has_none(world: Any, client: Client) -> None:
    from django.contrib.staticfiles import finders

    # Installed by `make setup` (npm ci), served by Django's static files, never committed.
    assert finders.find("vendor/html5-qrcode/html5-qrcode.min.js") is not None
    sign_in_staff(client, world.checkpoint)
    html = client.get(VERIFY_URL).content.decode()
    assert "/static/vendor/html5-qrcode/html5-qrcode.min.js" in html
    assert 'id="scanner-region"' in html
