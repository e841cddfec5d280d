from __future__ import annotations

from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def item(**fields: Any) -> dict[str, Any]:
    body = {"kind": "announcement", "title": "Thông báo khẩn", "body": "Mọi người **đeo khẩu trang**."}
    body.update(fields)
    return body


def publish(api: Any, account: Any, **fields: Any) -> dict[str, Any]:
    resp = api.as_(account).post("/news", item(**fields))
    assert resp.status_code == 201, resp.content
    return resp.json()


def sign_in_staff(client: Any, account: Any) -> None:
    """A staff session past the second factor."""
    client.force_login(account)
    if account.needs_second_factor:
        device = TOTPDevice.objects.create(user=account, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
