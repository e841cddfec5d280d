"""The error summary at the top of the declaration forms: each line says what it is about (a
symptom's date, a travel row), and a label that ends in punctuation takes no colon after it."""

from __future__ import annotations

import html
import re
from typing import Any


def _summary(resp: Any) -> list[str]:
    block = re.search(r'<div class="error-summary".*?</div>', resp.content.decode(), re.S)
    assert block, resp.content.decode()[:2000]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li>(.*?)</li>", block[0], re.S)]


def test_it_names_the_symptom_a_missing_date_is_for(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/", {"symptom_cough": "on"}, headers={"Accept-Language": "vi"}
    )
    assert resp.status_code == 400
    lines = _summary(resp)
    assert "Ho — từ ngày: Nhập ngày." in lines
    assert not any(line.startswith("Từ ngày:") for line in lines)


def test_it_puts_no_colon_after_a_label_ending_in_punctuation(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/", {"symptom_cough": "on"}, headers={"Accept-Language": "vi"}
    )
    lines = _summary(resp)
    assert "Tôi cam kết những thông tin trên là đúng sự thật. Hãy đánh dấu cam kết rằng thông tin là đúng sự thật." in lines
    assert len(lines) == 3
    assert not any(re.search(r"[.?!]:", line) for line in lines), lines


def test_it_names_the_travel_row_and_the_question_on_the_risk_form(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_parent.id}/risk/",
        {"came_from_epidemic_area": "yes", "travel_0_country": "TH", "suspect_infection": "no",
         "contact_with_case": "no", "commitment": "on", "consent": "on"},
        headers={"Accept-Language": "vi"},
    )
    assert resp.status_code == 400
    lines = _summary(resp)
    assert any(line.startswith("Địa điểm 1 — từ: ") for line in lines), lines
    assert not any(re.search(r"[.?!]:", line) for line in lines), lines


def test_it_keeps_the_links_to_the_fields(world, lan_browser):
    resp = lan_browser.post(
        f"/people/{world.lan_child.id}/declare/", {"symptom_cough": "on"}, headers={"Accept-Language": "en"}
    )
    page = resp.content.decode()
    assert '<a href="#id_symptom_cough_onset">Cough — since: ' in page
    assert '<a href="#id_commitment">I commit that the information above is true. ' in page
