"""Volunteers (issue 7) through the pages: /volunteer/, the printable passes, the console."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from khaibao.accounts.models import Account
from khaibao.audit.models import AuditEvent
from khaibao.declarations.tests.helpers import declaration
from khaibao.people.models import Delegation, VolunteerAppointment


def signed_in(account: Account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def register_form(world: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "full_name": "Lê Thị Bảy", "date_of_birth": "", "birth_year": "1940", "sex": "female",
        "nationality": "VN", "id_number": "001140000777", "phone": "", "province": world.hanoi.code,
        "ward_code": world.hoan_kiem.code, "street": "Số 9 ngõ Huế", "consent_method": "witnessed",
        "witness_name": "Nguyễn Văn Tổ", "attested": "on",
    }
    data.update(overrides)
    return data


def test_it_lists_who_still_needs_todays_update_and_takes_one_tap(world, api):
    # The one tap is for someone declared (someone never declared is asked to declare first).
    assert api.as_(world.volunteer).post(f"/people/{world.ong_tu.id}/declarations", declaration()).status_code == 201
    page = signed_in(world.volunteer)
    resp = page.get("/volunteer/")
    assert resp.status_code == 200
    assert "Nguyễn Văn Tư" in resp.content.decode()
    assert [e.person.pk for e in resp.context["to_update"]] == [world.ong_tu.id]
    resp = page.post(f"/volunteer/people/{world.ong_tu.id}/well/")
    assert resp.status_code == 302
    assert page.get("/volunteer/").context["to_update"] == []


def test_it_links_the_volunteer_page_from_home_for_volunteers_only(world):
    assert "/volunteer/" in signed_in(world.volunteer).get("/").content.decode()
    assert "/volunteer/" not in signed_in(world.lan).get("/").content.decode()
    assert signed_in(world.lan).get("/volunteer/").status_code == 403


def test_it_registers_an_assisted_person_with_witnessed_consent(world):
    page = signed_in(world.volunteer)
    resp = page.post("/volunteer/register/", register_form(world))
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    delegation = Delegation.objects.get(volunteer=world.volunteer, person__full_name="Lê Thị Bảy")
    assert delegation.consent_method == "witnessed"
    assert delegation.consent_witness == "Nguyễn Văn Tổ"
    assert delegation.consent_attested_at is not None


def test_it_refuses_registration_without_the_attestation(world):
    resp = signed_in(world.volunteer).post("/volunteer/register/", register_form(world, attested=""))
    assert resp.status_code == 400
    assert "attested" in resp.context["consent"].errors
    assert not Delegation.objects.filter(person__full_name="Lê Thị Bảy").exists()


def test_it_registers_with_a_code_and_confirms_it(world, sms):
    page = signed_in(world.volunteer)
    resp = page.post("/volunteer/register/", register_form(world, consent_method="code", phone="0912000111",
                                                           witness_name="", attested=""))
    assert resp.status_code == 302
    assert "/confirm/" in resp["Location"]
    resp = page.post(resp["Location"], {"code": sms.last_code("+84912000111")})
    assert resp.status_code == 302
    assert Delegation.objects.get(person__full_name="Lê Thị Bảy").consent_method == "code"


def test_it_prints_every_assisted_persons_pass(world):
    resp = signed_in(world.volunteer).get("/volunteer/passes/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "/static/css/print-passes.css" in html  # its @media print rules hide the page chrome
    assert "Nguyễn Văn Tư" in html
    assert f"/people/{world.ong_tu.id}/pass.svg" in html
    assert signed_in(world.volunteer).get(f"/people/{world.ong_tu.id}/pass.svg").status_code == 200


def test_it_prints_the_code_to_type_on_each_pass(world, api):
    """Issue 17: the printed pass has the short code the citizen's own card has; a checkpoint
    that types it gets an answer about the right person."""
    import re

    html = signed_in(world.volunteer).get("/volunteer/passes/").content.decode()
    codes = re.findall(r'<code class="pass-code">([0-9A-Z]{5}-[0-9A-Z]{5})</code>', html)
    assert len(codes) == 1
    answer = api.as_(world.checkpoint).post("/passes/verify", {"token": codes[0]}).json()
    assert answer["valid"] is True
    assert answer["initials"] == "NVT"


def test_it_stops_assisting_on_request(world):
    page = signed_in(world.volunteer)
    delegation = Delegation.objects.get(volunteer=world.volunteer, person=world.ong_tu, ended_at__isnull=True)
    assert page.post(f"/volunteer/assisted/{delegation.pk}/end/", {"confirmed": "1"}).status_code == 302
    assert page.get(f"/people/{world.ong_tu.id}/").status_code == 404


def test_it_says_what_stopping_means_before_stopping(world):
    """Review: one click used to end a delegation. GET (and a bare POST) show what stopping means
    and change nothing; only the confirmation page's POST ends it, audited as before."""
    page = signed_in(world.volunteer)
    delegation = Delegation.objects.get(volunteer=world.volunteer, person=world.ong_tu, ended_at__isnull=True)
    url = f"/volunteer/assisted/{delegation.pk}/end/"
    home = page.get("/volunteer/").content.decode()
    assert f'href="{url}"' in home
    assert f'action="{url}"' not in home
    for resp in (page.get(url, headers={"Accept-Language": "en"}),
                 page.post(url, headers={"Accept-Language": "en"})):
        assert resp.status_code == 200
        text = resp.content.decode()
        assert "Stop assisting Nguyễn Văn Tư?" in text
        assert "From now on you no longer see Nguyễn Văn Tư or declare for them." in text
        assert "The declarations and records of Nguyễn Văn Tư stay." in text
        assert 'name="confirmed" value="1"' in text
        assert 'href="/volunteer/">Cancel</a>' in text
    delegation.refresh_from_db()
    assert delegation.ended_at is None
    assert not AuditEvent.objects.filter(action="delegation.end").exists()
    assert page.get(f"/people/{world.ong_tu.id}/").status_code == 200

    assert page.post(url, {"confirmed": "1"})["Location"] == "/volunteer/"
    delegation.refresh_from_db()
    assert delegation.ended_at is not None
    assert AuditEvent.objects.filter(action="delegation.end", actor=world.volunteer,
                                     person_id=world.ong_tu.id).count() == 1
    assert page.get(f"/people/{world.ong_tu.id}/").status_code == 404
    assert page.get(url).status_code == 404  # nothing left to end
    assert signed_in(world.lan).get(url).status_code == 403


def test_it_shows_declared_by_volunteer_on_the_status_page(world, api):
    assert api.as_(world.volunteer).post(f"/people/{world.ong_tu.id}/declarations", declaration()).status_code == 201
    html = signed_in(world.volunteer).get(f"/people/{world.ong_tu.id}/").content.decode()
    history = html.split('id="history-title"')[1]
    assert "Trần Thu Hà" in history
    assert "Nguyễn Văn Tư" in history


def test_it_lets_an_org_admin_appoint_and_revoke_in_the_console(world):
    console = signed_in(world.org_admin)
    assert console.get("/staff/volunteers/").status_code == 200
    resp = console.post("/staff/volunteers/", {"phone": "0900000002", "expires_on": "2099-01-01"})
    assert resp.status_code == 400  # more than a year ahead
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    resp = console.post("/staff/volunteers/", {"phone": "0900000002", "expires_on": until})
    assert resp.status_code == 302
    appointment = VolunteerAppointment.objects.get(account=world.mai)
    assert console.get(f"/staff/volunteers/{appointment.pk}/revoke/").status_code == 200  # the confirmation page
    assert console.post(f"/staff/volunteers/{appointment.pk}/revoke/", {"confirmed": "1"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.revoked_at is not None
    assert signed_in(world.lan).get("/staff/volunteers/").status_code in (302, 403)
