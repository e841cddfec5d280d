"""The SMS switch says what it gates: warnings and the reminders sent by SMS (notifications.services.delivery_channels)."""

from __future__ import annotations

from typing import Any

from django.test import Client


def test_the_sms_switch_names_reminders_too(world: Any) -> None:
    client = Client()
    client.force_login(world.lan)
    html = client.get("/notifications/preferences/", headers={"Accept-Language": "en"}).content.decode()
    assert "SMS for warnings and reminders" in html
    assert "SMS for important warnings" not in html
