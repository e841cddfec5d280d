"""Organisation admins never receive health details (issue 7): seed unique markers in every
health field of members, call every organisation page and endpoint as an org admin, and assert
none of them appears."""

from __future__ import annotations

import json

from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.monitoring.models import PersonStatus
from khaibao.orgs.models import Member, OrgUnit
from khaibao.orgs.tests.helpers import console
from khaibao.people.models import Person

STREET_MARKER = "Ngõ-MARKER-7Q3Z"
MARKERS = [
    STREET_MARKER, "38.73", "38,73", "contact_confirmed", "high.contact_confirmed", "isolate_home",
    "call_hotline", "unwell", "shortness_of_breath", "loss_of_taste_smell", '"level"', "level-red", "level-orange",
]


def _seed_health(world, api) -> None:
    for account, person in ((world.lan, world.lan_self), (world.mai, world.mai_self)):
        Person.objects.filter(pk=person.pk).update(street=STREET_MARKER)
        client = api.as_(account)
        resp = client.post(
            f"/people/{person.id}/declarations",
            declaration(
                exposures=[{"code": "contact_confirmed", "date": ago(2)}],
                symptoms=[{"code": "loss_of_taste_smell", "onset": ago(1)}, {"code": "shortness_of_breath", "onset": ago(1)}],
            ),
        )
        assert resp.status_code == 201, resp.content
        resp = client.put(
            f"/people/{person.id}/updates/{ago(0)}",
            {"symptoms": ["shortness_of_breath"], "temperature": 38.73, "feeling": "unwell"},
        )
        assert resp.status_code in (200, 201), resp.content
        Member.objects.filter(phone_index=account.phone_index).update(
            account=account, person=person, linked_at=person.created_at, confirmed_at=person.created_at
        )
    assert PersonStatus.objects.filter(person=world.lan_self, level__in=["high", "urgent"]).exists()


def _assert_clean(label: str, text: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} leaked on {label}"


def test_it_never_shows_health_details_on_organisation_pages_or_endpoints(world, api, units):
    _seed_health(world, api)
    admin = world.org_admin
    page = console(admin)
    client = api.as_(admin)
    unit_ids = list(OrgUnit.objects.filter(path__startswith="TWD").values_list("pk", flat=True))
    member_ids = list(Member.objects.values_list("pk", flat=True))
    pages = ["/staff/", "/staff/orgs/"]
    for unit_id in unit_ids:
        pages += [f"/staff/orgs/{unit_id}/", f"/staff/orgs/{unit_id}/import/", f"/staff/orgs/{unit_id}/campaigns/new/"]
    seen_member = False
    for url in pages:
        resp = page.get(url)
        assert resp.status_code == 200, url
        html = resp.content.decode()
        seen_member |= "Nguyễn Thị Lan" in html
        _assert_clean(url, html)
    assert seen_member, "the member list itself must be shown"
    endpoints = ["/orgs"]
    for unit_id in unit_ids:
        endpoints += [
            f"/orgs/{unit_id}/campaigns", f"/orgs/{unit_id}/compliance",
            f"/orgs/{unit_id}/members", f"/orgs/{unit_id}/members?status=not_declared",
            f"/orgs/{unit_id}/members?status=not_updated_today",
        ]
    for url in endpoints:
        resp = client.get(url)
        assert resp.status_code < 500, url
        _assert_clean(url, json.dumps(resp.json(), ensure_ascii=False))
    # A roster line's id reveals nothing either: there is no member detail page or endpoint.
    for member_id in member_ids[:3]:
        assert client.get(f"/orgs/members/{member_id}").status_code == 404
