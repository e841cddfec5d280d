"""The case page shows words where the API has codes: the levels of the declarations and the
assessments, and a follow-up test's result — in Vietnamese, the default language."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.cases.tests.helpers import declare, sign_in_staff, update
from khaibao.declarations.tests.helpers import ago


def _section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"')[1].split("</section>")[0]


def _confirmed_case(world: Any, api: Any, client: Client) -> None:
    """Lan declared high, then a positive test, then a daily update (the confirmed case's level is
    kept); the ward official signed in on `client`."""
    declare(api, world.lan, world.lan_self, "high")
    resp = api.as_(world.ward_official).post(
        f"/cases/{world.lan_self.id}/actions", {"kind": "test_result", "test_result": "positive", "test_date": ago(1)}
    )
    assert resp.status_code == 201, resp.content
    update(api, world.lan, world.lan_self, ago(0))  # assessed again: the confirmed case's level is kept
    sign_in_staff(client, world.ward_official)


def test_it_shows_levels_and_the_test_result_in_words(world: Any, api: Any, client: Client) -> None:
    _confirmed_case(world, api, client)

    html = client.get(f"/staff/cases/{world.lan_self.id}/").content.decode()

    declarations = _section(html, "declarations")
    assert "Cao" in declarations
    assert "high" not in declarations
    assessments = _section(html, "assessments")
    assert "Khẩn cấp" in assessments
    assert "Cao" in assessments
    assert "urgent" not in assessments
    history = _section(html, "follow-up").split("</form>")[-1]  # after the forms' option values
    assert "Kết quả xét nghiệm: Dương tính" in history
    assert "positive" not in history


def test_it_shows_the_risk_engines_own_level_beside_a_kept_level(world: Any, api: Any, client: Client) -> None:
    """When a level was kept (never lowered automatically), the page says so and names the
    engine's own level in words, as the API's `engine_level_word` does."""
    _confirmed_case(world, api, client)

    rows = _section(client.get(f"/staff/cases/{world.lan_self.id}/").content.decode(), "assessments").split("<li>")
    kept = [row for row in rows if 'data-testid="engine-level"' in row]
    assert len(kept) == 1  # only the kept assessment
    latest = kept[0]
    assert "Khẩn cấp" in latest  # the level the person keeps
    engine = latest.split('data-testid="engine-level"')[1].split("</p>")[0]
    assert 'data-engine-level="high"' in engine
    assert "Cao" in engine
    assert ">high<" not in engine
    assert " high " not in engine

    client.cookies["django_language"] = "en"
    html = client.get(f"/staff/cases/{world.lan_self.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Level kept: it is never lowered automatically. The risk engine's own level: High" in html
