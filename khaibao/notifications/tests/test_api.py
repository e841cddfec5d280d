"""GET/POST /api/v1/notifications…: inbox, mark read, preferences, Web Push subscriptions."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from khaibao.audit.models import AuditEvent
from khaibao.notifications.models import ChannelPreference, Notification, WebPushSubscription
from khaibao.notifications.services import notify_account


def _notify(account, n=1, **kw):
    return [notify_account(account=account, kind="test", title=f"title {i}", body="body", **kw) for i in range(n)]


def test_it_lists_the_inbox_newest_first_with_the_unread_count(world, api):
    _notify(world.lan, 3)
    _notify(world.mai, 1)
    resp = api.as_(world.lan).get("/notifications")
    assert resp.status_code == 200
    data = resp.json()
    assert [i["title"] for i in data["items"]] == ["title 2", "title 1", "title 0"]
    assert data["unread"] == 3
    assert data["next_before"] is None
    assert data["items"][0]["read"] is False


def test_it_pages_the_inbox_by_keyset_in_bounded_queries(world, api):
    _notify(world.lan, 5)
    client = api.as_(world.lan)
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/notifications?limit=2").json()
    assert len(queries) <= 5  # token lookup (+ last-used update), page, unread count
    assert [i["title"] for i in first["items"]] == ["title 4", "title 3"]
    second = client.get(f"/notifications?limit=2&before={first['next_before']}").json()
    assert [i["title"] for i in second["items"]] == ["title 2", "title 1"]
    third = client.get(f"/notifications?limit=2&before={second['next_before']}").json()
    assert [i["title"] for i in third["items"]] == ["title 0"]
    assert third["next_before"] is None


def test_it_refuses_bad_paging_parameters(world, api):
    client = api.as_(world.lan)
    assert client.get("/notifications?limit=0").status_code == 400
    assert client.get("/notifications?limit=1000").status_code == 400
    assert client.get("/notifications?before=abc").status_code == 400


def test_it_marks_one_and_all_read(world, api):
    first, _second, _third = _notify(world.lan, 3)
    client = api.as_(world.lan)
    resp = client.post(f"/notifications/{first.id}/read")
    assert resp.status_code == 200
    assert resp.json()["read"] is True
    assert client.get("/notifications").json()["unread"] == 2
    resp = client.post("/notifications/read-all")
    assert resp.json() == {"marked": 2, "unread": 0}
    assert not Notification.objects.filter(account=world.lan, read_at__isnull=True).exists()


def test_it_answers_404_for_another_accounts_notification(world, api):
    (mine,) = _notify(world.mai)
    client = api.as_(world.lan)
    assert client.post(f"/notifications/{mine.id}/read").status_code == 404
    assert client.post("/notifications/999999/read").status_code == 404
    assert client.post(f"/notifications/{2**63}/read").status_code == 404
    assert Notification.objects.get(pk=mine.pk).read_at is None
    assert client.post("/notifications/read-all").json()["marked"] == 0


def test_it_needs_a_token(api):
    assert api.get("/notifications").status_code == 401


def test_it_reads_and_updates_preferences(world, api):
    client = api.as_(world.lan)
    resp = client.get("/notifications/preferences")
    assert resp.json() == {
        "sms": True, "email": False, "email_address": "", "webpush": True, "language": "vi",
        "daily_reminder": True, "webpush_available": False,
    }
    resp = client.put("/notifications/preferences", {"email": True, "email_address": "lan@example.com", "language": "en"})
    assert resp.status_code == 200, resp.content
    assert resp.json()["email"] is True
    assert resp.json()["language"] == "en"
    pref = ChannelPreference.objects.get(account=world.lan)
    assert (pref.email_address, pref.sms) == ("lan@example.com", True)
    event = AuditEvent.objects.get(action="notifications.preferences_update")
    assert "lan@example.com" not in str(event.data)


def test_it_refuses_bad_preferences_with_field_messages(world, api):
    client = api.as_(world.lan)
    cases = [
        ({"email": True}, "email_address"),
        ({"email_address": "not-an-address"}, "email_address"),
        ({"language": "fr"}, "language"),
        ({"sms": True, "fax": True}, "fax"),
    ]
    for body, field in cases:
        resp = client.put("/notifications/preferences", body)
        assert resp.status_code == 400, body
        assert field in resp.json()["error"]["fields"], (body, resp.json())
    assert not ChannelPreference.objects.exists()


def test_it_stores_a_webpush_subscription(world, api, settings):
    settings.VAPID_PUBLIC_KEY = "BPublicKey"
    settings.VAPID_PRIVATE_KEY = "private"
    assert api.get("/notifications/vapid-public-key").json() == {"enabled": True, "public_key": "BPublicKey"}
    client = api.as_(world.lan)
    body = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "expirationTime": None, "keys": {"p256dh": "BKey", "auth": "secret"}}
    resp = client.post("/notifications/webpush-subscriptions", body)
    assert resp.status_code == 201, resp.content
    again = client.post("/notifications/webpush-subscriptions", {**body, "keys": {"p256dh": "BKey2", "auth": "secret2"}})
    assert again.status_code == 201
    subscription = WebPushSubscription.objects.get(account=world.lan)
    assert subscription.p256dh == "BKey2"


def test_it_refuses_a_webpush_subscription_that_is_not_https(world, api):
    client = api.as_(world.lan)
    resp = client.post(
        "/notifications/webpush-subscriptions",
        {"endpoint": "http://169.254.169.254/latest", "keys": {"p256dh": "BKey", "auth": "secret"}},
    )
    assert resp.status_code == 400
    assert "endpoint" in resp.json()["error"]["fields"]
    assert client.post("/notifications/webpush-subscriptions", {"endpoint": "https://x"}).status_code == 400
    assert not WebPushSubscription.objects.exists()


def test_it_says_when_webpush_is_not_configured(api):
    assert api.get("/notifications/vapid-public-key").json() == {"enabled": False, "public_key": None}
