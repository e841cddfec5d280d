"""The charts' hover texts are words and numbers as people write them: the chart's own translated
title (never pygal's "Pygal"), each bar or dot's label, series and value, and no raw positions or
coordinates (pygal's axis-guide titles such as "0.125", the <desc>s its JavaScript reads)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from khaibao.stats import charts
from khaibao.stats.selectors import DayCounts

WORDS = {"low": "Low", "medium": "Medium", "high": "High", "urgent": "Urgent"}


def _summary() -> Any:
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(3)]
    return SimpleNamespace(
        series=[DayCounts(day=d, declarations=1200 * i, risk_declarations=0, daily_updates=i) for i, d in enumerate(days)],
        symptom_series={"fever": [0, 2, 5], "cough": [1, 0, 3]},
    )


def _charts() -> dict[str, str]:
    return {
        "Declarations and daily updates per day": charts.activity_chart(_summary()),
        "People by level": charts.levels_chart({"low": 3, "medium": 1, "high": 0, "urgent": 2}, WORDS),
        "Symptom trends": charts.symptoms_chart(_summary()),
        "Follow-up outcomes": charts.outcomes_chart({"called_reached": 4, "tested": 1},
                                                    {"called_reached": "Called", "tested": "Tested"}),
    }


def _titles(svg: str) -> list[str]:
    return re.findall(r"<title>([^<]*)</title>", svg)


@pytest.fixture
def english() -> Any:
    with translation.override("en"):
        yield


def test_it_titles_each_chart_with_its_own_words(english: Any) -> None:
    for title, svg in _charts().items():
        assert "Pygal" not in svg
        assert _titles(svg)[0] == title
        assert f'aria-label="{title}"' in svg
        assert svg.index(f"<title>{title}</title>") < svg.index("<defs")


def test_it_shows_no_raw_number_on_hover(english: Any) -> None:
    for title, svg in _charts().items():
        assert "<desc" not in svg, title
        for text in _titles(svg)[1:]:
            # Every hover text names what it counts: no bare 0.125 or 148.879…
            assert re.fullmatch(r".+: [\d,]+", text), (title, text)
            assert not re.search(r"\d\.\d", text), (title, text)


def test_it_says_label_series_and_value_on_each_bar_and_dot(english: Any) -> None:
    svgs = _charts()
    assert "01/11 — Declarations: 0" in _titles(svgs["Declarations and daily updates per day"])
    assert "03/11 — Declarations: 2,400" in _titles(svgs["Declarations and daily updates per day"])
    assert "03/11 — Daily updates: 2" in _titles(svgs["Declarations and daily updates per day"])
    assert "Urgent: 2" in _titles(svgs["People by level"])  # one series: no series name
    assert "03/11 — Fever: 5" in _titles(svgs["Symptom trends"])
    assert "Called: 4" in _titles(svgs["Follow-up outcomes"])


def test_it_translates_titles_and_groups_numbers_in_vietnamese() -> None:
    with translation.override("vi"):
        svg = charts.activity_chart(_summary())
    titles = _titles(svg)
    assert titles[0] != "Declarations and daily updates per day"
    assert f'aria-label="{titles[0]}"' in svg
    assert any(t.startswith("03/11 — ") and t.endswith(": 2.400") for t in titles), titles
