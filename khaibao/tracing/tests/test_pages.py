from __future__ import annotations

from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.tracing.models import Contact
from khaibao.tracing.tests.helpers import ago, make_f0


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "full_name": "Bùi Văn Khách", "phone": "0912345678", "id_number": "", "province": 79,
        "ward_code": 26740, "contact_date": ago(1), "kind": "household", "birth_year": 1990, "sex": "male",
    }
    data.update(overrides)
    # The form's own prefix (one id per element on the case view); the province is not prefixed:
    # the htmx ward list asks for it by that name.
    return {(k if k == "province" else f"contact-{k}"): v for k, v in data.items()}


def test_it_registers_a_contact_from_the_case_view(world, api):
    make_f0(world, api, world.lan_self)
    client = Client()
    sign_in_staff(client, world.ward_official)
    case = client.get(f"/staff/cases/{world.lan_self.id}/")
    assert case.status_code == 200
    page = case.content.decode()
    assert 'id="contacts"' in page
    assert f'action="/staff/cases/{world.lan_self.id}/contacts/"' in page

    resp = client.post(f"/staff/cases/{world.lan_self.id}/contacts/", _form())
    assert resp.status_code == 302
    assert resp["Location"] == f"/staff/cases/{world.lan_self.id}/#contacts"
    contact = Contact.objects.get(source=world.lan_self)
    assert contact.level == "F1"
    assert contact.person.home_ward_id == 26740
    page = client.get(resp["Location"]).content.decode()
    assert "BVK" in page  # outside Hoàn Kiếm: initials only
    assert "Bùi Văn Khách" not in page


def test_it_keeps_what_was_typed_and_shows_field_errors(world, api):
    make_f0(world, api, world.lan_self)
    client = Client()
    sign_in_staff(client, world.ward_official)
    resp = client.post(f"/staff/cases/{world.lan_self.id}/contacts/", _form(phone="12345", contact_date=ago(-2)))
    assert resp.status_code == 400
    page = resp.content.decode()
    assert page.count("field-error") >= 2
    assert "Bùi Văn Khách" in page  # what was typed
    assert not Contact.objects.exists()


def test_it_lists_the_wards_of_the_chosen_province(world):
    client = Client()
    sign_in_staff(client, world.ward_official)
    resp = client.get("/staff/tracing/wards/", {"province": 79})
    assert resp.status_code == 200
    assert 'value="26740"' in resp.content.decode()
    assert client.get("/staff/tracing/wards/", {"province": "x"}).status_code == 200


def test_it_hides_another_provinces_case_in_the_console(world, api):
    make_f0(world, api, world.lan_self)
    client = Client()
    sign_in_staff(client, world.province_hcm)
    assert client.get(f"/staff/cases/{world.lan_self.id}/contacts/").status_code == 404
    assert client.post(f"/staff/cases/{world.lan_self.id}/contacts/", _form()).status_code == 404
    assert not Contact.objects.exists()
    make_f0(world, api, world.hung_self)
    client = Client()
    sign_in_staff(client, world.ward_official)
    assert client.post(f"/staff/cases/{world.hung_self.id}/contacts/", _form()).status_code == 404
    assert client.get(f"/staff/cases/{world.hung_self.id}/contacts/").status_code == 404
    assert not AuditEvent.objects.filter(action="contact.register").exists()


def test_it_keeps_other_roles_out_of_the_contacts_pages(world, api):
    make_f0(world, api, world.lan_self)
    for account in (world.lan, world.checkpoint, world.org_admin):
        client = Client()
        sign_in_staff(client, account)
        assert client.post(f"/staff/cases/{world.lan_self.id}/contacts/", _form()).status_code == 403
    assert not Contact.objects.exists()


def test_it_says_so_when_a_contact_without_a_phone_gets_no_sms(world, api, sms):
    # Registered by ID number alone: nothing was sent, and the official must not think otherwise.
    make_f0(world, api, world.lan_self)
    client = Client()
    sign_in_staff(client, world.ward_official)
    resp = client.post(f"/staff/cases/{world.lan_self.id}/contacts/", _form(phone="", id_number="079090123456"), follow=True)
    page = resp.content.decode()
    assert Contact.objects.get(source=world.lan_self).invited is False
    assert "không có tin nhắn SMS nào được gửi" in page
    assert "sẽ nhận tin nhắn SMS đề nghị khai báo" not in page

    resp = client.post(f"/staff/cases/{world.lan_self.id}/contacts/", _form(full_name="Lê Có Máy"), follow=True)
    page = resp.content.decode()
    assert "sẽ nhận tin nhắn SMS đề nghị khai báo" in page
    assert "không có tin nhắn SMS nào được gửi" not in page
