"""Contact levels (F0, F1, F2 …) are never shown bare: the triage queue, the case page, the
contacts list, the exports and the API put the words of the one owner
(`monitoring.labels.CONTACT_LEVEL_LABELS`) beside the code, which keeps its place."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from khaibao.exports.tests.helpers import body, content, read_csv
from khaibao.monitoring.assessment import CONTACT_LEVELS
from khaibao.monitoring.labels import CONTACT_LEVEL_LABELS, contact_level_label
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.tracing.tests.helpers import contact, make_f0

F0_WORDS = "Ca bệnh xác định (F0)"
F1_WORDS = "Tiếp xúc gần (F1)"
F2_WORDS = "Tiếp xúc với F1 (F2)"


@pytest.fixture(autouse=True)
def _export_root(settings: Any, tmp_path: Any) -> None:
    settings.EXPORT_ROOT = tmp_path / "exports"


def _chain(world: Any, api: Any) -> None:
    """Lan tests positive (F0); Nam, her contact, is F1; Mai, Nam's contact, is F2 — all in Hà Nội."""
    make_f0(world, api, world.lan_self)
    official = api.as_(world.province)
    for source, person in ((world.lan_self, world.nam_self), (world.nam_self, world.mai_self)):
        resp = official.post(
            f"/cases/{source.id}/contacts",
            contact(full_name=person.full_name, phone=None, id_number=person.id_number, ward_code=person.home_ward_id),
        )
        assert resp.status_code == 201, resp.content


def test_every_contact_level_has_its_words() -> None:
    assert set(CONTACT_LEVEL_LABELS) == set(CONTACT_LEVELS)
    assert all(code in contact_level_label(code) for code in CONTACT_LEVELS)
    assert contact_level_label("") == ""
    assert contact_level_label("F9") == "F9"  # an unknown code is shown as it is, never hidden


def test_the_api_puts_words_beside_contact_levels(world: Any, api: Any) -> None:
    _chain(world, api)
    official = api.as_(world.province)

    items = {i["person_id"]: i for i in official.get("/triage", data={"limit": 100}).json()["items"]}
    assert (items[world.lan_self.id]["contact_level"], items[world.lan_self.id]["contact_level_label"]) == ("F0", F0_WORDS)
    assert (items[world.nam_self.id]["contact_level"], items[world.nam_self.id]["contact_level_label"]) == ("F1", F1_WORDS)

    status = official.get(f"/cases/{world.nam_self.id}").json()["status"]
    assert (status["contact_level"], status["contact_level_label"]) == ("F1", F1_WORDS)

    contacts = official.get(f"/cases/{world.nam_self.id}/contacts").json()
    assert [(c["level"], c["level_label"]) for c in contacts] == [("F2", F2_WORDS)]
    assert (contacts[0]["kind"], contacts[0]["kind_label"]) == (
        "close", "Trong phạm vi 2 m hoặc ở chung phòng kín từ 15 phút trở lên",
    )


def test_the_console_shows_the_words_of_contact_levels(world: Any, api: Any) -> None:
    _chain(world, api)
    client = Client()
    sign_in_staff(client, world.province)

    queue = client.get("/staff/cases/").content.decode()
    assert F0_WORDS in queue
    assert F1_WORDS in queue

    case = client.get(f"/staff/cases/{world.nam_self.id}/").content.decode()
    status = case.split('id="status"')[1].split("</section>")[0]
    assert F1_WORDS in status
    contacts = case.split('id="contacts"')[1].split("</section>")[0]
    assert F2_WORDS in contacts
    assert "<strong>F2</strong>" not in contacts


@pytest.mark.parametrize("kind", ["triage", "followups"])
def test_the_exports_have_a_words_column_beside_the_contact_level(world: Any, api: Any, kind: str) -> None:
    _chain(world, api)
    official = api.as_(world.province)
    assert official.post(f"/cases/{world.nam_self.id}/actions", {"kind": "called_reached"}).status_code == 201

    resp = official.post("/exports", body(kind, "csv"))
    assert resp.status_code == 200, resp.content
    rows = read_csv(content(resp))
    header_at = next(i for i, row in enumerate(rows) if "Mức tiếp xúc" in row)
    header = rows[header_at]
    code_at = header.index("Mức tiếp xúc")
    assert header[code_at + 1] == "Mức tiếp xúc (diễn giải)"
    nam = next(row for row in rows[header_at + 1:] if world.nam_self.full_name in row)
    assert (nam[code_at], nam[code_at + 1]) == ("F1", F1_WORDS)
