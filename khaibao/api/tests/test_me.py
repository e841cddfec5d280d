"""GET /api/v1/me: the account, its roles and the scope of what it may see."""

from __future__ import annotations


def me(api, account):
    resp = api.as_(account).get("/me")
    assert resp.status_code == 200
    return resp.json()


def test_it_describes_a_citizen(world, api):
    body = me(api, world.lan)

    assert body["id"] == world.lan.pk
    assert body["role"] == "citizen"
    assert body["roles"] == ["citizen"]
    assert body["phone"] == "+849•••••001"
    assert body["scope"] == {"level": None, "province": None, "ward": None, "org_unit": None}


def test_it_lists_the_volunteer_role(world, api):
    body = me(api, world.volunteer)
    assert body["role"] == "citizen"
    assert body["roles"] == ["citizen", "volunteer"]


def test_it_describes_a_ward_official(world, api):
    body = me(api, world.ward_official)

    assert body["username"] == "demo-ward"
    assert body["role"] == "official"
    assert body["phone"] is None
    scope = body["scope"]
    assert scope["level"] == "ward"
    assert scope["ward"]["code"] == world.hoan_kiem.code
    assert scope["province"]["code"] == world.hanoi.code


def test_it_describes_a_province_official(world, api):
    scope = me(api, world.province_hcm)["scope"]
    assert scope["level"] == "province"
    assert scope["province"] == {"code": world.hcmc.code, "name": world.hcmc.name}
    assert scope["ward"] is None


def test_it_describes_a_national_official(world, api):
    scope = me(api, world.national)["scope"]
    assert scope == {"level": "national", "province": None, "ward": None, "org_unit": None}


def test_it_describes_an_organisation_admin(world, api):
    body = me(api, world.org_admin)
    assert body["role"] == "org_admin"
    assert body["scope"]["level"] == "org_unit"
    assert body["scope"]["org_unit"]["code"] == "TWD"


def test_it_describes_checkpoint_staff(world, api):
    body = me(api, world.checkpoint)
    assert body["roles"] == ["checkpoint"]
    assert body["scope"]["level"] is None


def test_it_needs_a_token(api):
    resp = api.get("/me")
    assert resp.status_code == 401
    assert set(resp.json()["error"]) == {"code", "message", "fields"}
