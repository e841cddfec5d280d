"""Mass assignment (issue 8, suite item 4): fields a caller must not set are refused or ignored.

Every create/update operation of the API is sent its valid body plus the privileged fields an
attacker would try (role, scope, ward, province, verified/confirmed flags, someone else's person
id, created_by, …). Fields the operation does not define are refused with 400 naming them, and
nothing is stored. Page forms ignore unknown fields: the stored object is checked.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from khaibao.accounts.models import Role
from khaibao.people.access import is_active_volunteer
from khaibao.people.models import Person, VolunteerAppointment
from khaibao.security_suite.matrix_support import fingerprint
from khaibao.security_suite.routes import api_routes
from khaibao.security_suite.test_authorisation_matrix import MATRIX, _request, write_body

# What an attacker adds. Values point at another province, another person, another account.
# "is_volunteer" names no column any more (a volunteer is one by an appointment in force,
# people.access.is_active_volunteer): it stays as what an attacker would still try.
PRIVILEGED: dict[str, Any] = {
    "role": "sysadmin", "is_staff": True, "is_superuser": True, "is_volunteer": True,
    "scope_level": "national", "scope_ward": 26740, "scope_ward_id": 26740, "scope_province": 79,
    "scope_province_id": 79, "ward": 26740, "ward_id": 26740, "home_ward_id": 26740, "province_id": 79,
    "verified": True, "is_verified": True, "confirmed": True, "consent_confirmed": True, "status_colour": "green",
    "owner_id": 1, "account_id": 1, "reporter_id": 1, "created_by": 1, "created_by_id": 1, "author_id": 1,
    "official_id": 1, "org_unit_id": 1, "unit_id": 1, "appointed_by_id": 1, "level_override": "low",
    "attempts": 0, "expires_at_override": "2099-01-01T00:00:00Z", "id": 1, "pk": 1,
}
# The first role of these allowed to call an operation acts: the check is about the body.
ACTORS = [
    "citizen_owner", "volunteer", "province_official", "ward_official", "national", "org_admin_a", "checkpoint",
    "dpo", "sysadmin",
]
JSON_WRITES = [
    r for r in api_routes()
    if r.method in ("POST", "PUT", "PATCH") and r.key != "POST /api/v1/orgs/{unit_id}/roster"
    and r.key not in ("POST /api/v1/reports",)  # multipart or JSON with a proof of work: below
]


@functools.cache
def _schema() -> dict[str, Any]:
    from khaibao.api.v1 import api

    return api.get_openapi_schema(path_prefix="/api/v1")  # seconds to build: once per run


def _has_body(route: Any) -> bool:
    return "requestBody" in _schema()["paths"][route.pattern][route.method.lower()]


def _declared_fields(route: Any) -> set[str]:
    schema = _schema()
    operation = schema["paths"][route.pattern][route.method.lower()]
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref", "")
    component = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else {}
    return set(component.get("properties", {}))


@pytest.mark.parametrize("route", JSON_WRITES, ids=lambda r: r.key)
def test_it_refuses_privileged_fields_in_api_bodies(sec, route):
    if not _has_body(route):
        return  # e.g. logout, mark read: no body to smuggle fields in; nothing is read from it
    # Bodies are validated before the path's object is looked up: a route nobody may use with
    # the world's ids (e.g. confirming an erasure code) still refuses the fields by name.
    actor = next((role for role in ACTORS if role in MATRIX[route.key]), "citizen_owner")
    injected = {k: v for k, v in PRIVILEGED.items() if k not in _declared_fields(route)}
    body = write_body(route.key, sec)
    before = fingerprint()

    original = write_body
    resp = _request_with(sec, actor, route, {**(body or {}), **injected}, original)

    assert resp.status_code == 400, (route.key, resp.status_code, resp.content[:300])
    assert set(injected) <= set(resp.json()["error"]["fields"]), resp.json()
    assert fingerprint() == before


def _request_with(sec: Any, role: str, route: Any, body: Any, _original: Any) -> Any:
    import khaibao.security_suite.test_authorisation_matrix as matrix

    saved = matrix.write_body
    matrix.write_body = lambda key, sec: body  # type: ignore[assignment]
    try:
        return _request(sec, role, route)
    finally:
        matrix.write_body = saved


def test_it_refuses_privileged_fields_in_a_report(sec):
    from khaibao.reports.tests.helpers import report_body, solve_pow

    client = sec.api("citizen_owner")
    before = fingerprint()
    resp = client.post("/reports", {**report_body(), "pow": solve_pow(client.client), "status": "resolved",
                                    "reporter_id": sec.accounts["other_citizen"].pk, "person_id": sec.ids["person"]})

    assert resp.status_code == 400
    assert {"status", "reporter_id", "person_id"} <= set(resp.json()["error"]["fields"])
    assert fingerprint() == before


def test_it_ignores_privileged_fields_on_the_household_page(sec):
    lan = sec.accounts["citizen_owner"]
    resp = sec.web("citizen_owner").post("/household/add/", {
        "relation": "child", "full_name": "Trần Văn Mới", "sex": "male", "date_of_birth": "2018-01-01",
        "nationality": "VN", "province": 1, "ward_code": 70, "street": "",
        # the attack:
        "created_by": sec.accounts["other_citizen"].pk, "owner": sec.accounts["other_citizen"].pk,
        "role": "sysadmin", "is_staff": "on", "is_volunteer": "on", "home_ward_id": 26740,
    })
    assert resp.status_code == 302, resp.content[:500]

    person = Person.objects.get(full_name="Trần Văn Mới")
    assert person.created_by_id == lan.pk
    assert person.home_ward_id == 70
    assert list(person.households.values_list("owner_id", flat=True)) == [lan.pk]
    lan.refresh_from_db()
    assert (lan.role, lan.is_staff, lan.is_superuser) == (Role.CITIZEN, False, False)
    # Only an appointment makes a volunteer, and no form or body field makes one.
    assert not is_active_volunteer(lan)
    assert not VolunteerAppointment.objects.filter(account=lan).exists()


def test_it_keeps_an_appointment_inside_the_appointers_own_organisation(sec):
    """`org_unit_id` is a real field for organisation admins, but only within their own tree."""
    before = fingerprint()
    resp = sec.api("org_admin_b").post("/volunteers", {
        "phone": "0900000002", "expires_at": "2099-01-01T00:00:00+07:00", "org_unit_id": sec.ids["unit_a"],
    })

    assert resp.status_code in (400, 404), resp.content
    assert not VolunteerAppointment.objects.filter(account=sec.accounts["other_citizen"]).exists()
    assert fingerprint() == before
