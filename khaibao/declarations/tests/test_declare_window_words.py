"""The citizen's forms tell the days a declaration is about from the rule set's window
(`window_days`, risk rule data), never a "14" of their own (seams review, finding 6): a new rule
set with another window changes the words with the assessment."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from khaibao.risk import engine


@pytest.fixture
def window_of_21_days(monkeypatch: Any) -> None:
    rules = dataclasses.replace(engine.current_rules(), window_days=21)
    monkeypatch.setattr(engine, "current_rules", lambda: rules)


def _text(resp: Any) -> str:
    assert resp.status_code == 200, resp.status_code
    return " ".join(resp.content.decode().split())


def test_the_declaration_form_says_the_rule_sets_window(world: Any, lan_browser: Any, window_of_21_days: None) -> None:
    page = _text(lan_browser.get(f"/people/{world.lan_child.id}/declare/", headers={"Accept-Language": "en"}))

    assert "Answer about the last 21 days." in page
    assert "Travel in the last 21 days" in page
    assert "14 days" not in page


def test_the_risk_declaration_form_says_the_rule_sets_window(world: Any, lan_browser: Any, window_of_21_days: None) -> None:
    page = _text(lan_browser.get(f"/people/{world.lan_child.id}/risk/"))

    assert "Trong 21 ngày qua, bạn có tiếp xúc với ca bệnh (F0) hoặc ca nghi nhiễm không?" in page
    assert "Trong 21 ngày qua, bạn có đi về từ vùng dịch không?" in page
    assert "14 ngày" not in page
