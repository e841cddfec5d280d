"""A zone's warning reaches a person only through someone to notify — their own account, a
household owner, a volunteer (people.access `carer_ids`). Whoever has nobody (a traced contact an
official registered, someone whose carers' accounts were deactivated) is not counted as warned:
the preview, the run's figures and the zone's page count them apart, for the official to call or
visit — by the same rule (`cared_for_ids`) as the message."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.notifications.models import Notification
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.people.access import cared_for_ids, carer_ids
from khaibao.people.models import Delegation, Person
from khaibao.tracing.tests.helpers import contact, make_f0
from khaibao.zones.models import Zone, ZoneWarning, ZoneWarningRun
from khaibao.zones.tasks import zone_warnings_run

HOAN_KIEM = 70
EN = {"Accept-Language": "en"}


def traced_contact_in_hoan_kiem(world: Any, api: Any) -> Person:
    """A contact of an F0, registered by the province official: no account, no household."""
    make_f0(world, api, world.lan_parent)
    resp = api.as_(world.province).post(
        f"/cases/{world.lan_parent.id}/contacts",
        contact(full_name="Bùi Văn Khách", phone="0912345678", ward_code=HOAN_KIEM),
    )
    assert resp.status_code == 201, resp.content
    person = Person.objects.get(full_name="Bùi Văn Khách")
    assert (person.account_id, person.home_ward_id) == (None, HOAN_KIEM)
    assert not person.households.exists()
    return person


def _published_and_run(world: Any, api: Any) -> ZoneWarningRun:
    """A level-3 zone on Hoàn Kiếm declared by the API, its warning run done."""
    resp = api.as_(world.province).post("/zones", {
        "name": "Phường Hoàn Kiếm", "level": 3, "ward_codes": [HOAN_KIEM], "advice": {"vi": "Ở nhà."},
    })
    assert resp.status_code == 201, resp.content
    run = ZoneWarningRun.objects.get()
    zone_warnings_run.call(run.pk)
    run.refresh_from_db()
    return run


def zone_form(**overrides: Any) -> dict[str, Any]:
    data = {"name": "Phường Hoàn Kiếm", "level": "3", "wards": [str(HOAN_KIEM)], "advice_vi": "Hạn chế ra ngoài."}
    data.update(overrides)
    return data


def test_a_traced_contact_is_counted_as_nobody_to_notify_not_as_warned(world: Any, api: Any, client: Client) -> None:
    khach = traced_contact_in_hoan_kiem(world, api)
    assert not list(carer_ids(Person.objects.filter(pk=khach.pk)))
    sign_in_staff(client, world.province)

    # Before publishing: 5 with someone to tell, the contact apart.
    preview = client.post("/staff/zones/new/", zone_form(step="preview"), headers=EN).content.decode()
    assert not Zone.objects.exists()
    assert "5 people living in Phường Hoàn Kiếm and those who declared travel there will be warned." in preview
    assert "6 people" not in preview
    assert 'data-unreachable="1"' in preview
    assert "1 person living there has nobody to notify (no account, household or volunteer): call them or visit." in preview

    # Publishing: the banner says the same.
    done = client.post("/staff/zones/new/", zone_form(step="publish"), headers=EN, follow=True).content.decode()
    assert "The zone is published. 5 people living in Phường Hoàn Kiếm" in done
    assert "1 person living there has nobody to notify" in done

    # The run: the contact is handled, but counted as unreachable, not warned.
    run = ZoneWarningRun.objects.get(zone_version__zone=Zone.objects.get())
    zone_warnings_run.call(run.pk)
    run.refresh_from_db()
    assert (run.status, run.expected, run.processed, run.warned, run.unreachable) == ("done", 6, 6, 5, 1)
    assert ZoneWarning.objects.filter(person=khach).exists()  # handled once, never again
    assert not Notification.objects.filter(kind="zone_warning", person=khach).exists()

    # The zone's page: the same numbers.
    zone = Zone.objects.get()
    page = client.get(f"/staff/zones/{zone.pk}/", headers=EN).content.decode()
    assert "5 people warned" in page
    assert "6 people warned" not in page
    assert "1 with nobody to notify (no account, household or volunteer): call them or visit" in page
    assert "Its warnings go to 5 people living in Phường Hoàn Kiếm" in page
    listing = client.get("/staff/zones/", headers=EN).content.decode()
    assert "1 with nobody to notify" in listing


def test_the_console_says_it_in_vietnamese(world: Any, api: Any, client: Client) -> None:
    traced_contact_in_hoan_kiem(world, api)
    sign_in_staff(client, world.province)
    preview = client.post("/staff/zones/new/", zone_form(step="preview")).content.decode()
    assert "5 người sống tại Phường Hoàn Kiếm và những người đã khai báo đi qua đó sẽ được cảnh báo." in preview
    assert "1 người sống tại đó không có ai để báo tin" in preview
    assert "hãy gọi điện hoặc đến tận nơi" in preview


def test_everyone_with_a_carer_is_counted_as_warned_and_nothing_else_is_said(world: Any, api: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    preview = client.post("/staff/zones/new/", zone_form(step="preview"), headers=EN).content.decode()
    assert "5 people living in Phường Hoàn Kiếm" in preview
    assert "nobody to notify" not in preview
    client.post("/staff/zones/new/", zone_form(step="publish"), headers=EN)
    run = ZoneWarningRun.objects.get()
    zone_warnings_run.call(run.pk)
    run.refresh_from_db()
    assert (run.warned, run.unreachable) == (5, 0)
    page = client.get(f"/staff/zones/{Zone.objects.get().pk}/", headers=EN).content.decode()
    assert "nobody to notify" not in page


def test_a_deactivated_carer_or_an_ended_delegation_leaves_nobody_to_notify(world: Any, api: Any) -> None:
    # Nam (his own account) is deactivated; Ông Tư's volunteer delegation ends.
    world.nam.is_active = False
    world.nam.save(update_fields=["is_active"])
    Delegation.objects.filter(person=world.ong_tu).update(ended_at=timezone.now())
    run = _published_and_run(world, api)
    assert (run.expected, run.warned, run.unreachable) == (5, 3, 2)  # Lan's household only


@pytest.mark.parametrize("batch", [1, 2, 10_000])
def test_the_run_counts_the_same_in_any_batch_size(world: Any, api: Any, settings: Any, batch: int) -> None:
    settings.ZONE_WARNING_BATCH_SIZE = batch
    traced_contact_in_hoan_kiem(world, api)
    run = _published_and_run(world, api)
    assert (run.processed, run.warned, run.unreachable) == (6, 5, 1)


def test_cared_for_ids_is_carer_ids_read_from_the_persons_end(world: Any, api: Any) -> None:
    khach = traced_contact_in_hoan_kiem(world, api)
    world.nam.is_active = False
    world.nam.save(update_fields=["is_active"])
    everyone = Person.objects.all()
    cared = {row["cared"] for row in cared_for_ids(everyone)}
    with_carer = {p.pk for p in everyone if list(carer_ids(Person.objects.filter(pk=p.pk)))}
    assert cared == with_carer
    assert khach.pk not in cared
    assert world.nam_self.pk not in cared
    assert world.lan_child.pk in cared
    assert cared_for_ids(everyone).count() == len(with_carer)


def test_the_api_counts_the_people_with_nobody_to_notify_apart(world: Any, api: Any) -> None:
    traced_contact_in_hoan_kiem(world, api)
    body = {
        "name": "Phường Hoàn Kiếm", "province_code": 1, "level": 3, "ward_codes": [HOAN_KIEM],
        "valid_from": timezone.localdate().isoformat(), "advice": "Hạn chế ra ngoài.",
    }
    created = api.as_(world.province).post("/zones", body)
    assert created.status_code == 201, created.content
    reach = created.json()["reach"]
    assert (reach["residents"], reach["reached"], reach["unreachable"]) == (6, 5, 1)

    zone_warnings_run.call(ZoneWarningRun.objects.get().pk)
    detail = api.as_(world.province).get(f"/zones/{created.json()['zone_id']}").json()
    assert (detail["warned"], detail["unreachable"]) == (5, 1)
    assert (detail["versions"][0]["warning"]["warned"], detail["versions"][0]["warning"]["unreachable"]) == (5, 1)
