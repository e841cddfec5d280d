"""A subtree is its paths exactly, whatever the database: SQLite's LIKE ignores ASCII case, so the
admin of "TWD" listed, moved units into and imported members into another organisation rooted at
"twd" — and reminded them on the other organisation's SMS budget (security retest F2). One rule:
orgs.access `subtree_q` / `below_q`."""

from __future__ import annotations

from typing import Any

from django.db import connection

from khaibao.orgs import access
from khaibao.orgs.models import Member, OrgUnit
from khaibao.orgs.tests.helpers import csv_file, upload


def _other_organisation() -> OrgUnit:
    root = OrgUnit.objects.create(code="twd", name="Tổ chức khác")
    return OrgUnit.objects.create(code="leak", name="Đơn vị khác", parent=root)


def test_another_organisation_whose_code_differs_only_in_case_is_outside(world: Any, api: Any, units: Any) -> None:
    other = _other_organisation()
    assert other.path == "twd/leak"
    visible = set(access.units_visible(world.org_admin).values_list("path", flat=True))
    assert "twd/leak" not in visible
    assert "TWD/HN" in visible

    client = api.as_(world.org_admin)
    assert client.get("/orgs?q=leak").json()["items"] == []
    assert client.get(f"/orgs?parent={other.pk}").status_code == 404
    moved = client.patch(f"/orgs/{units['bd'].pk}", {"parent_id": other.pk})
    assert moved.status_code in (400, 404), moved.content
    assert OrgUnit.objects.get(pk=units["bd"].pk).path == "TWD/HN/DCS-BD"

    imported = upload(client, units["twd"].pk, csv_file([["Nguyễn Văn Lạ", "0912000111", "twd/leak", "Đoàn viên"]]))
    assert imported.status_code in (200, 400), imported.content
    assert not Member.objects.filter(unit=other).exists()


def test_on_postgresql_a_subtree_is_the_like_alone_so_the_planner_counts_it_right(world: Any) -> None:
    """An extra exact comparison of the prefix made PostgreSQL guess 101 units for a subtree of
    20,000 and walk every member of it by nested loops (national-scale review): its LIKE is
    case-sensitive already, so it gets the LIKE alone; SQLite keeps the guard."""
    sql = str(OrgUnit.objects.filter(access.below_q("TWD")).query)
    if connection.vendor == "postgresql":
        assert "SUBSTR" not in sql.upper()
        assert "LIKE" in sql.upper()
    else:
        assert "SUBSTR" in sql.upper()
