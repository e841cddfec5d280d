"""A field's error is what a screen reader announces with it: Django's widgets name it in
`aria-describedby` as `<auto_id>_error`, so the message must carry that id (field.html and the
declaration's own templates wrote `<auto_id>-error`, or no id at all)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client


def _described_ids_exist(page: str) -> tuple[list[str], list[str]]:
    described = re.findall(r'aria-describedby="([^"]+)"', page)
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    wanted = [name for value in described for name in value.split() if name.endswith("_error")]
    return wanted, [name for name in wanted if name not in ids]


def test_the_declaration_errors_are_named_by_their_fields(world: Any) -> None:
    client = Client()
    client.force_login(world.lan)
    page = client.post(f"/people/{world.lan_child.id}/declare/", {"symptom_cough": "on"}).content.decode()

    wanted, missing = _described_ids_exist(page)
    assert wanted  # the form did refuse something
    assert not missing


def test_the_household_form_errors_are_named_by_their_fields(world: Any) -> None:
    client = Client()
    client.force_login(world.lan)
    page = client.post("/household/add/", {"full_name": "Nguyễn Văn Tư", "birth_year": "1950"}).content.decode()

    wanted, missing = _described_ids_exist(page)
    assert wanted
    assert not missing
