"""The home page: Vietnamese by default, switchable to English, usable without JavaScript."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client


def html_lang(resp) -> str:
    match = re.search(r'<html lang="([^"]+)"', resp.content.decode())
    assert match, "no <html lang>"
    return match.group(1)


def test_it_speaks_vietnamese_by_default(db):
    resp = Client().get("/")
    assert resp.status_code == 200
    assert html_lang(resp) == "vi"
    assert resp["Content-Language"] == "vi"


def test_it_switches_to_english_and_remembers(db):
    client = Client()

    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert resp.status_code == 302
    assert resp["Location"] == "/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert html_lang(client.get("/")) == "en"

    client.post("/i18n/setlang/", {"language": "vi", "next": "/"})
    assert html_lang(client.get("/")) == "vi"


def test_it_offers_the_language_switch_as_a_plain_form(db):
    html = Client().get("/").content.decode()
    # A form posting to set_language with a submit button: works with JavaScript off.
    form = re.search(r'<form[^>]*action="/i18n/setlang/"[^>]*method="post"[^>]*>(.*?)</form>', html, re.S)
    assert form, html
    assert 'name="language"' in form.group(1)
    assert 'type="submit"' in form.group(1)
    assert 'name="viewport"' in html
    assert "<main" in html
