"""Choosing nothing on "Withdraw consent or erase data" says what is missing (review: "Tiếp tục"
with no option and no person sent `GET /my-data/erase/?`, the form was taken as unbound and the
same page came back without a word)."""

from __future__ import annotations

from typing import Any

from django.test import Client


def _client(account: Any) -> Client:
    client = Client()
    client.force_login(account)
    return client


def test_it_asks_for_a_person_and_an_option_when_nothing_is_chosen(world: Any) -> None:
    resp = _client(world.lan).get("/my-data/erase/?")
    assert resp.status_code == 400
    text = resp.content.decode()
    assert "Hãy chọn ít nhất một người." in text
    assert text.count('class="field-error"') == 2  # the option and the people
    assert 'role="alert"' in text


def test_it_asks_for_a_person_when_only_the_option_is_chosen(world: Any) -> None:
    resp = _client(world.lan).get("/my-data/erase/", {"reason": "request"})
    assert resp.status_code == 400
    assert "Hãy chọn ít nhất một người." in resp.content.decode()


def test_it_still_confirms_a_full_choice(world: Any) -> None:
    resp = _client(world.lan).get("/my-data/erase/", {"reason": "request", "person_ids": [world.lan_child.id]})
    assert resp.status_code == 200
    assert world.lan_child.full_name in resp.content.decode()
