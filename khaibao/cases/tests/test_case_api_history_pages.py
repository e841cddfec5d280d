"""The case API (`GET /cases/{id}`) reaches every row of the long histories, as the case page does:
pages of CASE_HISTORY_MAX, newest first, each history on its own cursor (`next_cursors`, sent back
as `<history>_cursor`); a cursor not made here is a 400 naming it; every page is an audited opening
of the case."""

from __future__ import annotations

from typing import Any

from khaibao.audit.models import AuditEvent
from khaibao.cases.case_view import CASE_HISTORY_MAX
from khaibao.cases.tests.test_case_history_pages import updates_many


def _opened(person: Any) -> int:
    return AuditEvent.objects.filter(action="person.case_view", person_id=person.id).count()


def test_it_reaches_the_201st_daily_update_page_by_page(world: Any, api: Any) -> None:
    expected = updates_many(world.lan_self, CASE_HISTORY_MAX + 1)
    official = api.as_(world.ward_official)
    first = official.get(f"/cases/{world.lan_self.id}")
    assert first.status_code == 200, first.content
    body = first.json()
    assert [u["day"] for u in body["updates"]] == [d.isoformat() for d in expected[:CASE_HISTORY_MAX]]
    cursors = body["next_cursors"]
    assert set(cursors) == {"declarations", "updates", "assessments"}
    assert cursors["updates"]
    assert cursors["declarations"] is None
    assert cursors["assessments"] is None

    older = official.get(f"/cases/{world.lan_self.id}", data={"updates_cursor": cursors["updates"]})
    assert older.status_code == 200, older.content
    assert [u["day"] for u in older.json()["updates"]] == [expected[-1].isoformat()]
    assert older.json()["next_cursors"]["updates"] is None
    # The other histories stay on their newest page; the rest of the case is the same.
    assert older.json()["person"] == body["person"]
    assert older.json()["declarations"] == body["declarations"]
    assert _opened(world.lan_self) == 2  # each page is an opening of the case


def test_a_cursor_not_made_here_is_a_400_naming_it(world: Any, api: Any) -> None:
    official = api.as_(world.ward_official)
    for name in ("declarations", "updates", "assessments"):
        resp = official.get(
            f"/cases/{world.lan_self.id}", data={f"{name}_cursor": "not-a-cursor"}, headers={"Accept-Language": "en"}
        )
        assert resp.status_code == 400, resp.content
        assert set(resp.json()["error"]["fields"]) == {f"{name}_cursor"}


def test_a_cursor_does_not_open_someone_elses_case(world: Any, api: Any) -> None:
    official = api.as_(world.ward_official)
    resp = official.get(f"/cases/{world.mai_self.id}", data={"updates_cursor": "WyIyMDI2LTAxLTAxIiwxXQ"})
    assert resp.status_code == 404
