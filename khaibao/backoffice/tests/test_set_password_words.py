"""The set-password page speaks Vietnamese when a password is too short (review: Django's
Vietnamese catalogue lacks the `%d` form of the minimum-length message, so the page said "This
password is too short. It must contain at least 10 characters." in English)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.backoffice.tests.test_set_password_origin import invite_link


def test_it_says_a_password_is_too_short_in_vietnamese(world: Any) -> None:
    browser = Client()
    form_path = browser.get(invite_link(world))["Location"]
    resp = browser.post(form_path, {"new_password1": "Ngắn-1", "new_password2": "Ngắn-1"})
    assert resp.status_code == 400
    text = resp.content.decode()
    assert "Mật khẩu quá ngắn. Mật khẩu phải có ít nhất 10 ký tự." in text
    assert "too short" not in text


def test_it_says_it_in_english_to_an_english_browser(world: Any) -> None:
    browser = Client()
    form_path = browser.get(invite_link(world))["Location"]
    resp = browser.post(form_path, {"new_password1": "Short-1", "new_password2": "Short-1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "This password is too short. It must contain at least 10 characters." in resp.content.decode()


def test_it_names_the_username_in_vietnamese_when_the_password_is_too_like_it(world: Any) -> None:
    browser = Client()
    form_path = browser.get(invite_link(world, username="hk-admin-2026"))["Location"]
    resp = browser.post(form_path, {"new_password1": "hk-admin-2026", "new_password2": "hk-admin-2026"})
    assert resp.status_code == 400
    text = resp.content.decode()
    assert "tên đăng nhập" in text.lower()
    assert "username" not in text.split("<main", 1)[-1]
