"""`POST /id-number-reviews/{id}/resolve` answers the outcome in words beside its code."""

from __future__ import annotations

from typing import Any


def test_a_resolved_review_says_its_outcome_in_words(sec: Any) -> None:
    review_id = sec.ids["id_review"]
    done = sec.api("ward_official").post(f"/id-number-reviews/{review_id}/resolve", {"outcome": "same_person"})
    assert done.status_code == 200, done.content
    assert (done.json()["outcome"], done.json()["outcome_label"]) == ("same_person", "Cùng một người, đăng ký hai lần")
