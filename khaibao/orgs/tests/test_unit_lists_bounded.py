"""Review P2-3: the units page, a unit's page and the API list units a level at a time, never a
whole national tree (~60,000 units) at once; the move target is named by code or path and
checked by the service's scope rule."""

from __future__ import annotations

import re
from typing import Any

import pytest

from khaibao.orgs import selectors
from khaibao.orgs.models import OrgUnit
from khaibao.orgs.tests.helpers import console

WIDE = 120  # children of TWD added here (besides HN and HCM)
DEEP = 180  # children of TWD/P005


@pytest.fixture
def big(world: Any, units: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    """About 300 more units, cheaply: bulk_create does not call OrgUnit.save, so the path is
    written here as save() would."""
    twd = units["twd"]
    OrgUnit.objects.bulk_create(
        OrgUnit(code=f"P{i:03d}", name=f"Tỉnh đoàn số {i}", parent=twd, path=f"TWD/P{i:03d}") for i in range(WIDE)
    )
    p5 = OrgUnit.objects.get(path="TWD/P005")
    OrgUnit.objects.bulk_create(
        OrgUnit(code=f"C{j:03d}", name=f"Chi đoàn số {j}", parent=p5, path=f"TWD/P005/C{j:03d}") for j in range(DEEP)
    )
    return {**units, "p5": p5, "p6": OrgUnit.objects.get(path="TWD/P006"),
            "leaf": OrgUnit.objects.get(path="TWD/P005/C007")}


def _rows(html: str) -> list[str]:
    return re.findall(r'<li class="depth-\d+" data-unit="(\d+)"', html)


def _next(html: str) -> str:
    found = re.search(r'rel="next" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else ""


def test_the_units_page_lists_a_big_level_a_page_at_a_time(world, big):
    page = console(world.org_admin)
    resp = page.get("/staff/orgs/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert len(resp.content) < 60_000, len(resp.content)
    first = _rows(html)
    assert len(first) == 50
    assert "<option" not in html.split("<main", 1)[1]
    # Only TWD's children, with a link to their own units when they have some.
    assert f'data-unit="{big["leaf"].pk}"' not in html
    assert f'href="/staff/orgs/?parent={big["hn"].pk}"' in html
    # Every child of TWD once over the pages.
    seen = list(first)
    url = _next(html)
    while url:
        html = page.get("/staff/orgs/" + url).content.decode()
        seen += _rows(html)
        url = _next(html)
    children = set(OrgUnit.objects.filter(parent=big["twd"]).values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == len(children) == WIDE + 2
    assert {int(pk) for pk in seen} == children


def test_it_drills_down_and_searches_a_level(world, big):
    page = console(world.org_admin)
    html = page.get(f"/staff/orgs/?parent={big['p5'].pk}").content.decode()
    assert len(_rows(html)) == 50
    assert 'data-testid="units-trail"' in html
    assert "Trung ương Đoàn" in html
    assert f'name="parent" value="{big["p5"].pk}"' in html  # the search keeps the level
    html = page.get(f"/staff/orgs/?parent={big['p5'].pk}&q=c17").content.decode()
    found = {OrgUnit.objects.get(pk=pk).code for pk in _rows(html)}
    assert found == {f"C17{d}" for d in range(10)}
    html = page.get("/staff/orgs/?q=Chi đoàn số 42").content.decode()  # by name, the whole subtree
    assert [OrgUnit.objects.get(pk=pk).path for pk in _rows(html)] == ["TWD/P005/C042"]
    # A small subtree is shown whole, as before.
    html = page.get(f"/staff/orgs/?parent={big['hn'].pk}").content.decode()
    assert "Đoàn cơ sở phường Hoàn Kiếm" in html
    assert 'role="search"' not in html
    # Outside the subtree, or not an id: 404; a damaged cursor: 400 with the first page offered.
    assert console(_hn_admin(big)).get(f"/staff/orgs/?parent={big['p5'].pk}").status_code == 404
    assert page.get("/staff/orgs/?parent=abc").status_code == 404
    assert page.get("/staff/orgs/?parent=99999999999999999999").status_code == 404
    assert page.get("/staff/orgs/?cursor=garbage").status_code == 400


def _hn_admin(big: dict[str, OrgUnit]) -> Any:
    from khaibao.accounts.models import Account, Role

    return Account.objects.create_user("hn-admin-2", "pw-hn-admin-2026", role=Role.ORG_ADMIN, org_unit=big["hn"])


def test_a_leaf_unit_page_carries_no_list_of_every_unit(world, big):
    page = console(world.org_admin)
    resp = page.get(f"/staff/orgs/{big['leaf'].pk}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.count("<option") <= 10  # the member role select only
    assert 'name="target"' in html
    assert len(resp.content) < 40_000, len(resp.content)
    # A unit with many children lists the first 50 and links to the units page for the rest.
    html = page.get(f"/staff/orgs/{big['p5'].pk}/").content.decode()
    assert html.count('href="/staff/orgs/') - html.count("/staff/orgs/?") < 50 + 20
    assert 'data-testid="children-more"' in html
    assert f'/staff/orgs/?parent={big["p5"].pk}' in html


def _move(page: Any, unit: OrgUnit, **data: Any) -> Any:
    return page.post(f"/staff/orgs/{unit.pk}/do/move/", data)


def test_it_moves_a_unit_under_one_named_by_code_or_path(world, big):
    page = console(world.org_admin)
    leaf = big["leaf"]
    resp = _move(page, leaf, target="P006")
    assert resp.status_code == 302, resp.content.decode()[:2000]
    assert OrgUnit.objects.get(pk=leaf.pk).path == "TWD/P006/C007"
    assert _move(page, leaf, target="/TWD/HN/DCS-HK/ ").status_code == 302
    assert OrgUnit.objects.get(pk=leaf.pk).path == "TWD/HN/DCS-HK/C007"
    # A code two units of the subtree share: the path is asked for.
    OrgUnit.objects.create(code="DCS-HK", name="Trùng mã", parent=big["p6"])
    resp = _move(page, leaf, target="DCS-HK")
    assert resp.status_code == 400
    assert "Có nhiều đơn vị dùng mã này; hãy ghi đường dẫn của đơn vị." in resp.content.decode()
    # Nothing named, nothing found, under itself: refused beside the text box.
    assert "Nhập mã hoặc đường dẫn" in _move(page, leaf, target=" ").content.decode()
    resp = _move(page, leaf, target="NOWHERE")
    assert resp.status_code == 400
    assert "Chọn một đơn vị thuộc tổ chức của bạn." in resp.content.decode()
    assert _move(page, big["p5"], target="TWD/P005/C001").status_code == 400
    assert OrgUnit.objects.get(pk=leaf.pk).path == "TWD/HN/DCS-HK/C007"


def test_the_move_stays_inside_the_admins_subtree(world, big, hn_admin):
    page = console(hn_admin)
    hk = big["hk"]
    # Outside their subtree, by path or by code: the service's scope refusal, nothing moves.
    for target in ("TWD/P006", "P006", "TWD/HCM", "TWD"):
        resp = _move(page, hk, target=target)
        assert resp.status_code == 400, target
        html = resp.content.decode()
        assert "Chọn một đơn vị thuộc tổ chức của bạn." in html, target
        assert 'class="field has-error"' in html
    # The id form of a former page is checked by the same rule.
    assert _move(page, hk, parent_id=big["p6"].pk).status_code == 400
    assert OrgUnit.objects.get(pk=hk.pk).path == "TWD/HN/DCS-HK"
    # An archived unit of their own subtree is refused too.
    OrgUnit.objects.filter(pk=big["bd"].pk).update(archived_at="2026-01-01T00:00:00Z")
    resp = _move(page, hk, target="DCS-BD")
    assert resp.status_code == 400
    assert "Đơn vị này đã được lưu trữ." in resp.content.decode()
    # Inside it, the move is done.
    cd = OrgUnit.objects.create(code="CD9", name="Chi đoàn 9", parent=hk)
    assert _move(page, cd, target="TWD/HN").status_code == 302
    assert OrgUnit.objects.get(pk=cd.pk).path == "TWD/HN/CD9"


def test_the_api_lists_units_a_page_at_a_time(world, api, big):
    client = api.as_(world.org_admin)
    resp = client.get("/orgs?limit=50")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["parent"]["path"] == "TWD"
    assert body["total"] == WIDE + 2
    assert len(body["items"]) == 50
    assert body["next_cursor"]
    assert len(resp.content) < 20_000
    p5 = next(i for i in body["items"] if i["path"] == "TWD/P005")
    assert (p5["child_count"], p5["member_count"], p5["parent_id"]) == (DEEP, 0, big["twd"].pk)
    seen = [i["id"] for i in body["items"]]
    cursor = body["next_cursor"]
    while cursor:
        body = client.get(f"/orgs?limit=50&cursor={cursor}").json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
    assert len(seen) == len(set(seen)) == WIDE + 2
    # One unit's children, and a search below a unit.
    body = client.get(f"/orgs?parent={big['p5'].pk}&limit=200").json()
    assert (body["total"], len(body["items"]), body["next_cursor"]) == (DEEP, DEEP, None)
    body = client.get(f"/orgs?parent={big['p5'].pk}&q=C17").json()
    assert sorted(i["code"] for i in body["items"]) == [f"C17{d}" for d in range(10)]
    hn = client.get(f"/orgs?parent={big['hn'].pk}").json()
    assert {i["code"]: i["member_count"] for i in hn["items"]}["DCS-BD"] == 2
    # Bounds and refusals.
    assert client.get("/orgs?limit=201").status_code == 400
    assert client.get("/orgs?cursor=garbage").status_code == 400
    assert client.get(f"/orgs?parent={big['p5'].pk}").status_code == 200
    assert api.as_(_hn_admin(big)).get(f"/orgs?parent={big['p5'].pk}").status_code == 404
    assert api.as_(world.lan).get("/orgs?limit=5").status_code == 403


def test_the_whole_tree_answer_is_bounded(world, api, big, monkeypatch):
    client = api.as_(world.org_admin)
    assert client.get("/orgs").status_code == 200  # ~300 units: under the bound
    monkeypatch.setattr(selectors, "UNIT_TREE_MAX", 100)
    resp = client.get("/orgs")
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == "too_many_units"
    assert "/api/v1/orgs?parent=" in error["message"]
    # A sub-admin's small subtree still gets the tree.
    assert api.as_(_hn_admin(big)).get("/orgs").json()[0]["path"] == "TWD/HN"
