"""A push subscription may only name a browser's push service (notifications.preferences
`webpush_endpoint_allowed`, settings.WEBPUSH_ALLOWED_HOSTS): the worker posts every notification
to it, and an endpoint of 127.0.0.1, a cloud's metadata address or a private network made the
worker call inside the service's own network (blind SSRF)."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.notifications.channels import _send_webpush
from khaibao.notifications.models import Channel, Delivery, WebPushSubscription
from khaibao.notifications.preferences import webpush_endpoint_allowed
from khaibao.notifications.services import notify_account

KEYS = {"p256dh": "BKey", "auth": "secret"}


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://wns2-sg2p.notify.windows.com/w/?token=abc",
        "https://web.push.apple.com/QG9abc",
        "https://FCM.googleapis.com./fcm/send/abc",
    ],
)
def test_a_push_service_is_taken(endpoint: str) -> None:
    assert webpush_endpoint_allowed(endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://127.0.0.1:6379/",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost:5432/x",
        "https://10.0.0.5/admin",
        "https://fcm.googleapis.com:8443/fcm/send/abc",  # another port
        "https://fcm.googleapis.com.evil.example/fcm/send/abc",
        "https://evilfcm.googleapis.com/x",
        "https://user:pw@fcm.googleapis.com/x",
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://[::1]/x",
        "https://fcm.googleapis.com:99999/x",
        "https://127.0.0.1\\.push.services.mozilla.com/wpush/v2/abc",  # urllib3 ends the host at the backslash
        "https://127.0.0.1\t.push.services.mozilla.com/x",
        "https://fcm.googleapis.com /x",
    ],
)
def test_any_other_address_is_refused(world: Any, api: Any, endpoint: str) -> None:
    assert not webpush_endpoint_allowed(endpoint)
    resp = api.as_(world.lan).post("/notifications/webpush-subscriptions", {"endpoint": endpoint, "keys": KEYS})
    assert resp.status_code == 400
    assert "endpoint" in resp.json()["error"]["fields"]
    assert not WebPushSubscription.objects.exists()


def test_the_worker_never_posts_to_a_subscription_saved_before_the_rule(world: Any, settings: Any, monkeypatch: Any) -> None:
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = "private", "public"
    posted: list[str] = []
    monkeypatch.setattr("pywebpush.webpush", lambda subscription_info, **_kw: posted.append(subscription_info["endpoint"]))
    WebPushSubscription.objects.create(account=world.lan, endpoint="https://169.254.169.254/latest/meta-data/iam", **KEYS)
    notification = notify_account(account=world.lan, kind="test", title="t", body="b", link="/")
    assert notification is not None
    delivery = Delivery(notification=notification, channel=Channel.WEBPUSH)

    with pytest.raises(Exception, match="expired"):
        _send_webpush(delivery)

    assert posted == []
    assert not WebPushSubscription.objects.exists()  # forgotten
