"""Citizen pages: inbox, mark read, preferences, the header badge, the service worker."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from khaibao.notifications.models import ChannelPreference, Notification
from khaibao.notifications.services import notify_account


@pytest.fixture
def lan_client(world):
    client = Client()
    client.force_login(world.lan)
    return client


def test_it_shows_an_empty_inbox_with_what_to_expect(lan_client):
    page = lan_client.get("/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="empty"' in html
    assert 'class="badge"' not in html


def test_it_shows_the_unread_count_in_the_header_and_the_inbox(world, lan_client):
    for i in range(2):
        notify_account(account=world.lan, kind="test", title=f"Thông báo {i}", body="Nội dung", link="/household/")
    notify_account(account=world.mai, kind="test", title="Not for Lan", body="")
    home = lan_client.get("/").content.decode()
    assert 'href="/notifications/"' in home
    assert '<span class="badge"' in home
    assert ">2</span>" in home
    inbox = lan_client.get("/notifications/").content.decode()
    assert "Thông báo 0" in inbox
    assert "Thông báo 1" in inbox
    assert "Not for Lan" not in inbox


def test_it_has_no_inbox_link_for_visitors_or_staff(world):
    assert 'href="/notifications/"' not in Client().get("/").content.decode()
    assert Client().get("/notifications/").status_code == 302
    staff = Client()
    staff.force_login(world.checkpoint)
    notify_account(account=world.checkpoint, kind="test", title="A", body="")
    assert 'href="/notifications/"' not in staff.get("/").content.decode()


def test_it_marks_read_and_opens_the_link(world, lan_client):
    first = notify_account(account=world.lan, kind="test", title="A", body="", link="/household/")
    second = notify_account(account=world.lan, kind="test", title="B", body="")
    resp = lan_client.post(f"/notifications/{first.id}/read/", {"open": "1"})
    assert resp.status_code == 302
    assert resp["Location"] == "/household/"
    resp = lan_client.post(f"/notifications/{second.id}/read/")
    assert resp["Location"] == "/notifications/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert '<span class="badge"' not in lan_client.get("/").content.decode()


def test_it_marks_all_read(world, lan_client):
    for _ in range(3):
        notify_account(account=world.lan, kind="test", title="A", body="")
    assert lan_client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(account=world.lan, read_at__isnull=True).exists()


def test_it_answers_404_for_another_accounts_notification_on_the_page(world, lan_client):
    theirs = notify_account(account=world.mai, kind="test", title="A", body="")
    assert lan_client.post(f"/notifications/{theirs.id}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_it_saves_preferences_and_keeps_input_on_errors(world, lan_client):
    page = lan_client.get("/notifications/preferences/")
    assert page.status_code == 200
    resp = lan_client.post(
        "/notifications/preferences/",
        {"language": "en", "email": "on", "email_address": "", "sms": "on", "daily_reminder": "on"},
    )
    assert resp.status_code == 200
    assert 'class="field-error"' in resp.content.decode()
    assert '<option value="en" selected>' in resp.content.decode()  # what was chosen is kept
    assert not ChannelPreference.objects.exists()

    resp = lan_client.post(
        "/notifications/preferences/",
        {"language": "en", "email": "on", "email_address": "lan@example.com", "daily_reminder": "on"},
    )
    assert resp.status_code == 302
    pref = ChannelPreference.objects.get(account=world.lan)
    assert (pref.language, pref.email, pref.email_address, pref.sms, pref.webpush) == (
        "en", True, "lan@example.com", False, False
    )


def test_it_offers_web_push_only_when_configured(world, lan_client, settings):
    assert "js/webpush.js" not in lan_client.get("/notifications/preferences/").content.decode()
    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "BPublicKey", "private"
    html = lan_client.get("/notifications/preferences/").content.decode()
    assert "/static/js/webpush.js" in html  # the subscription script (a static file: CSP)
    assert 'id="webpush-enable"' in html
    assert '"BPublicKey"' in html


def test_it_stores_the_browsers_subscription_from_the_page(world, lan_client):
    body = '{"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {"p256dh": "BKey", "auth": "s"}}'
    resp = lan_client.post("/notifications/webpush-subscriptions/", body, content_type="application/json")
    assert resp.status_code == 201
    bad = lan_client.post("/notifications/webpush-subscriptions/", "{not json", content_type="application/json")
    assert bad.status_code == 400
    assert world.lan.webpush_subscriptions.count() == 1


def test_it_serves_the_service_worker_from_the_root(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/javascript")
    assert resp["Service-Worker-Allowed"] == "/"
    # The root script hands its settings to the static worker, which shows the notifications.
    worker = re.search(r'importScripts\(.*"([^"]+/sw\.js)"\)', resp.content.decode()).group(1)
    assert "showNotification" in b"".join(client.get(worker).streaming_content).decode()
