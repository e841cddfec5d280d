"""The inbox's "Open" button is an action ("Mở"), not the status "Open" of a case ("Đang mở")."""

from __future__ import annotations

import re

from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from khaibao.notifications.services import notify_account


def _open_button(world, language: str) -> str:
    notify_account(account=world.lan, kind="test", title="Thông báo", body="", link="/household/")
    client = Client()
    client.force_login(world.lan)
    html = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    button = re.search(r'<button[^>]*name="open"[^>]*>([^<]*)</button>', html)
    assert button, html
    assert "Đang mở" not in html
    return button[1]


def test_the_open_button_says_mo_in_vietnamese(world):
    assert _open_button(world, "vi") == "Mở"


def test_the_open_button_says_open_in_english(world):
    assert _open_button(world, "en") == "Open"


def test_the_status_open_keeps_its_own_words(db):
    with translation.override("vi"):
        assert gettext("Open") == "Đang mở"
