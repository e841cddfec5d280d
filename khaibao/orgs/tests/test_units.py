from __future__ import annotations

from khaibao.audit.models import AuditEvent
from khaibao.orgs.models import Member, OrgUnit
from khaibao.orgs.tests.helpers import console


def _paths() -> set[str]:
    return set(OrgUnit.objects.values_list("path", flat=True))


def test_it_creates_renames_and_moves_units_updating_every_path_below(world, api, units):
    client = api.as_(world.org_admin)
    resp = client.post(f"/orgs/{units['hk'].pk}/units", {"code": "CD1", "name": "Chi đoàn 1"})
    assert resp.status_code == 201, resp.content
    cd1 = resp.json()
    assert cd1["path"] == "TWD/HN/DCS-HK/CD1"
    grand = client.post(f"/orgs/{cd1['id']}/units", {"code": "T1", "name": "Tổ 1"}).json()
    assert grand["path"] == "TWD/HN/DCS-HK/CD1/T1"

    resp = client.patch(f"/orgs/{cd1['id']}", {"name": "Chi đoàn Một", "parent_id": units["hcm"].pk})
    assert resp.status_code == 200, resp.content
    assert resp.json()["path"] == "TWD/HCM/CD1"
    assert {"TWD/HCM/CD1", "TWD/HCM/CD1/T1"} <= _paths()
    assert not any(p.startswith("TWD/HN/DCS-HK/CD1") for p in _paths())
    assert OrgUnit.objects.get(pk=cd1["id"]).name == "Chi đoàn Một"
    assert AuditEvent.objects.filter(action="orgs.unit_move", actor=world.org_admin).count() == 1


def test_it_refuses_to_move_a_unit_under_itself_or_its_descendant(world, api, units):
    client = api.as_(world.org_admin)
    for target in (units["hn"], units["hk"]):
        resp = client.patch(f"/orgs/{units['hn'].pk}", {"parent_id": target.pk})
        assert resp.status_code == 400, resp.content
        assert "parent_id" in resp.json()["error"]["fields"]
    assert OrgUnit.objects.get(pk=units["hk"].pk).path == "TWD/HN/DCS-HK"


def test_it_refuses_a_duplicate_code_and_a_bad_code(world, api, units):
    client = api.as_(world.org_admin)
    assert client.post(f"/orgs/{units['hn'].pk}/units", {"code": "DCS-HK", "name": "x"}).status_code == 400
    resp = client.post(f"/orgs/{units['hn'].pk}/units", {"code": "a/b", "name": "x"})
    assert resp.status_code == 400
    assert "code" in resp.json()["error"]["fields"]
    resp = client.post(f"/orgs/{units['hn'].pk}/units", {"code": "OK", "name": "   "})
    assert resp.status_code == 400
    assert "name" in resp.json()["error"]["fields"]


def test_it_archives_only_empty_units(world, api, units):
    client = api.as_(world.org_admin)
    resp = client.patch(f"/orgs/{units['hk'].pk}", {"archived": True})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "has_members"
    resp = client.patch(f"/orgs/{units['hn'].pk}", {"archived": True})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "has_children"
    resp = client.patch(f"/orgs/{units['hcm'].pk}", {"archived": True})
    assert resp.status_code == 200
    assert resp.json()["archived"] is True
    assert client.post(f"/orgs/{units['hcm'].pk}/units", {"code": "X", "name": "x"}).status_code == 400


def test_a_refused_patch_changes_nothing_it_was_sent_with(world, api, units):
    # A 400 says nothing changed: the rename before a refused archive or move is undone too.
    client = api.as_(world.org_admin)
    for change in ({"name": "Mới", "archived": True}, {"name": "Mới", "parent_id": units["hk"].pk}):
        target = units["hk"] if "archived" in change else units["hn"]
        before = OrgUnit.objects.get(pk=target.pk).name
        resp = client.patch(f"/orgs/{target.pk}", change)
        assert resp.status_code == 400, resp.content
        assert OrgUnit.objects.get(pk=target.pk).name == before
    assert not AuditEvent.objects.filter(action="orgs.unit_rename").exists()


def test_it_keeps_an_admin_inside_their_subtree(world, api, units, hn_admin):
    client = api.as_(hn_admin)
    tree = client.get("/orgs").json()
    assert [n["path"] for n in tree] == ["TWD/HN"]
    assert {c["path"] for c in tree[0]["children"]} == {"TWD/HN/DCS-HK", "TWD/HN/DCS-BD"}
    for outside in (units["twd"].pk, units["hcm"].pk, 999999):
        assert client.post(f"/orgs/{outside}/units", {"code": "X", "name": "x"}).status_code == 404
        assert client.get(f"/orgs/{outside}/campaigns").status_code == 404
        assert client.patch(f"/orgs/{outside}", {"name": "x"}).status_code == 404
    # Moving into a sibling subtree is refused like any unit outside.
    resp = client.patch(f"/orgs/{units['hk'].pk}", {"parent_id": units["hcm"].pk})
    assert resp.status_code == 400
    # Their own root cannot be moved or archived (it would leave their hands).
    assert client.patch(f"/orgs/{units['hn'].pk}", {"parent_id": units["bd"].pk}).status_code == 400
    page = console(hn_admin)
    assert page.get(f"/staff/orgs/{units['hcm'].pk}/").status_code == 404
    assert page.get(f"/staff/orgs/{units['twd'].pk}/").status_code == 404
    assert page.get(f"/staff/orgs/{units['hk'].pk}/").status_code == 200


def test_it_refuses_everyone_but_org_admins(world, api, units):
    for account in (world.lan, world.national, world.checkpoint, world.dpo):
        resp = api.as_(account).get("/orgs")
        assert resp.status_code == 403, account
        assert api.as_(account).post(f"/orgs/{units['hn'].pk}/units", {"code": "X", "name": "x"}).status_code == 403
    assert api.get("/orgs").status_code == 401
    assert console(world.checkpoint).get("/staff/orgs/").status_code == 403


def test_it_manages_units_from_the_console(world, units):
    page = console(world.org_admin)
    resp = page.get("/staff/orgs/")
    assert resp.status_code == 200
    assert "Đoàn cơ sở phường Hoàn Kiếm" in resp.content.decode()
    resp = page.post(f"/staff/orgs/{units['hk'].pk}/do/child/", {"code": "CD2", "name": "Chi đoàn 2"})
    assert resp.status_code == 302
    cd2 = OrgUnit.objects.get(path="TWD/HN/DCS-HK/CD2")
    resp = page.post(f"/staff/orgs/{cd2.pk}/do/move/", {"parent_id": cd2.pk})
    assert resp.status_code == 400
    assert page.post(f"/staff/orgs/{cd2.pk}/do/move/", {"parent_id": units["bd"].pk}).status_code == 302
    assert OrgUnit.objects.get(pk=cd2.pk).path == "TWD/HN/DCS-BD/CD2"
    assert page.post(f"/staff/orgs/{cd2.pk}/do/rename/", {"name": "Chi đoàn Hai"}).status_code == 302
    resp = page.post(f"/staff/orgs/{units['bd'].pk}/do/archive/", {"confirmed": "1"})
    assert resp.status_code == 400
    assert page.post(f"/staff/orgs/{cd2.pk}/do/archive/", {"confirmed": "1"}).status_code == 302
    assert OrgUnit.objects.get(pk=cd2.pk).archived_at is not None
    assert Member.objects.filter(unit=units["bd"]).count() == 2
