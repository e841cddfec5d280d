"""Server side of the offline app: submission keys, the service worker, the manifest, the
offline page and the large-text switch."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.declarations.models import Declaration
from khaibao.monitoring.models import DailyUpdate


@pytest.fixture
def lan_browser(world: Any) -> Client:
    client = Client()
    client.force_login(world.lan)
    return client


def _declaration(key: str, **extra: str) -> dict[str, str]:
    return {"submission_key": key, "commitment": "on", "consent": "on", **extra}


def test_it_records_a_declaration_once_per_submission_key(world, lan_browser):
    path = f"/people/{world.lan_child.id}/declare/"
    key = str(uuid.uuid4())
    first = lan_browser.post(path, _declaration(key))
    again = lan_browser.post(path, _declaration(key))
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/people/{world.lan_child.id}/"
    assert Declaration.objects.filter(person=world.lan_child).count() == 1
    # A new key with other answers is a new submission (the same answers again within minutes are
    # the first: test_declaration_sent_again.py).
    lan_browser.post(path, _declaration(str(uuid.uuid4()), conditions="diabetes"))
    assert Declaration.objects.filter(person=world.lan_child).count() == 2


def test_it_answers_the_outbox_with_204_and_replays_without_writing(world, lan_browser):
    path = f"/people/{world.lan_child.id}/update/"
    body = {"submission_key": "k-1", "day": timezone.localdate().isoformat(), "feeling": "unwell", "symptoms": ["cough"]}
    first = lan_browser.post(path, body, headers={"X-Khaibao-Outbox": "1"})
    replay = lan_browser.post(path, body, headers={"X-Khaibao-Outbox": "1"})
    assert first.status_code == replay.status_code == 204
    assert replay["X-Khaibao-Recorded"] == f"/people/{world.lan_child.id}/"
    assert DailyUpdate.objects.filter(person=world.lan_child).count() == 1
    assert AuditEvent.objects.filter(action__startswith="daily_update.", person_id=world.lan_child.id).count() == 1


def test_it_refuses_a_reused_key_with_other_answers(world, lan_browser):
    path = f"/people/{world.lan_child.id}/update/"
    day = timezone.localdate().isoformat()
    lan_browser.post(path, {"submission_key": "k-2", "day": day, "feeling": "well"})
    other = lan_browser.post(path, {"submission_key": "k-2", "day": day, "feeling": "unwell"})
    assert other.status_code == 422
    assert DailyUpdate.objects.get(person=world.lan_child).feeling == "well"


def test_it_stores_nothing_for_a_refused_form_so_it_can_be_corrected(world, lan_browser):
    path = f"/people/{world.lan_child.id}/declare/"
    refused = lan_browser.post(path, {"submission_key": "k-3"}, headers={"Accept-Language": "en"})
    assert refused.status_code == 400
    corrected = lan_browser.post(path, _declaration("k-3"))
    assert corrected.status_code == 302
    assert Declaration.objects.filter(person=world.lan_child).count() == 1


def test_it_keeps_keys_apart_between_accounts(world, lan_browser):
    mai = Client()
    mai.force_login(world.mai)
    lan_browser.post(f"/people/{world.lan_child.id}/declare/", _declaration("shared"))
    mai.post(f"/people/{world.mai_self.id}/declare/", _declaration("shared"))
    assert Declaration.objects.filter(person=world.mai_self).count() == 1


def test_it_sends_an_unsigned_outbox_post_to_sign_in(world):
    resp = Client().post(f"/people/{world.lan_child.id}/update/", {"submission_key": "k", "well": "1"},
                         headers={"X-Khaibao-Outbox": "1"})
    assert resp.status_code == 302
    assert "/sign-in/" in resp["Location"]
    assert not DailyUpdate.objects.exists()


def test_it_renders_a_submission_key_in_the_offline_forms(world, lan_browser):
    for kind in ("update", "declare", "risk"):
        page = lan_browser.get(f"/people/{world.lan_child.id}/{kind}/").content.decode()
        assert re.search(r'name="submission_key" value="[0-9a-f-]{36}"', page), kind


def test_it_serves_the_service_worker_from_the_root(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/javascript")
    assert resp["Service-Worker-Allowed"] == "/"
    assert "no-cache" in resp["Cache-Control"]
    config = json.loads(re.search(r"self\.KHAIBAO_SW = (\{.*\});", resp.content.decode()).group(1))
    assert "/static/css/site.css" in config["shell"]
    assert config["offline"] == "/offline/"
    assert 'importScripts("/static/js/outbox-store.js", "/static/js/sw.js")' in resp.content.decode()


def test_it_serves_the_web_app_manifest(client):
    resp = client.get("/manifest.webmanifest", headers={"Accept-Language": "vi"})
    assert resp["Content-Type"].startswith("application/manifest+json")
    data = json.loads(resp.content)
    assert data["start_url"] == "/"
    assert data["display"] == "standalone"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in data["icons"]}
    assert any(icon["purpose"] == "maskable" for icon in data["icons"])
    assert data["lang"] == "vi"


def test_it_serves_an_offline_page_holding_no_ones_data(client):
    resp = client.get("/offline/", headers={"Accept-Language": "en"})
    assert resp.status_code == 200
    assert 'id="offline-forms"' in resp.content.decode()


def test_it_switches_large_text_without_javascript(db, client):
    resp = client.post("/text-size/", {"size": "large", "next": "/news/"})
    assert resp.status_code == 302
    assert resp["Location"] == "/news/"
    assert resp.cookies["text_size"].value == "large"
    page = client.get("/").content.decode()
    assert '<html lang="vi" class="large-text">' in page
    assert 'aria-pressed="true"' in page
    off = client.post("/text-size/", {"size": "normal", "next": "https://evil.example/"})
    assert off["Location"] == "/"
    assert 'class="large-text"' not in client.get("/").content.decode()


@pytest.mark.parametrize(
    "target",
    ["http://testserver//evil.example/phish", "//evil.example/", "/\\evil.example/", "http://testserver/\\evil.example/", "news/"],
)
def test_the_large_text_switch_goes_back_to_this_site_only(db, client, target):
    # Django's check passes "http://<this host>//evil.example/", whose path alone is another site.
    resp = client.post("/text-size/", {"size": "large", "next": target})
    assert resp.status_code == 302
    assert resp["Location"] == "/"


def test_the_large_text_switch_keeps_the_query_of_the_page(db, client):
    resp = client.post("/text-size/", {"size": "large", "next": "http://testserver/zones/?province=1"})
    assert resp["Location"] == "/zones/?province=1"
