from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from khaibao.accounts.models import OtpChallenge
from khaibao.accounts.phones import phone_index
from khaibao.orgs.models import Member
from khaibao.orgs.tests.helpers import console


def _sign_in(api, sms, phone: str) -> None:
    # As if the previous code was sent long ago (the resend cooldown is not under test here).
    OtpChallenge.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert api.post("/auth/otp/request", {"phone": phone}).status_code == 202
    e164 = "+84" + phone[1:]
    resp = api.post("/auth/otp/verify", {"phone": phone, "code": sms.last_code(e164)})
    assert resp.status_code == 200, resp.content


def test_it_links_roster_lines_by_phone_when_the_citizen_signs_in(world, api, sms, units):
    second = Member.objects.create(
        unit=units["hcm"], full_name="Lan ở HCM", phone="+84900000001", phone_index=phone_index("+84900000001")
    )
    lan_line = Member.objects.get(unit=units["hk"], phone_index=world.lan.phone_index)
    assert lan_line.account is None
    _sign_in(api, sms, "0900000001")
    lan_line.refresh_from_db()
    second.refresh_from_db()
    assert lan_line.account == world.lan
    assert lan_line.person == world.lan_self
    assert lan_line.linked_at
    assert second.account == world.lan
    # Other people's lines are untouched.
    assert Member.objects.get(unit=units["hk"], phone_index=world.mai.phone_index).account is None


def test_it_asks_once_to_confirm_or_decline_each_membership(world, api, sms, units):
    Member.objects.create(unit=units["hcm"], full_name="Nhầm người", phone="+84900000001", phone_index=phone_index("+84900000001"))
    _sign_in(api, sms, "0900000001")
    page = console(world.lan)
    home = page.get("/").content.decode()
    assert "/memberships/" in home
    listing = page.get("/memberships/").content.decode()
    assert "Đoàn cơ sở phường Hoàn Kiếm" in listing
    assert "Thành đoàn TP.HCM" in listing
    mine = Member.objects.get(unit=units["hk"], account=world.lan)
    wrong = Member.objects.get(unit=units["hcm"], account=world.lan)
    assert page.post(f"/memberships/{mine.pk}/confirm/", {"confirmed": "1"}).status_code == 302
    assert page.post(f"/memberships/{wrong.pk}/decline/", {"confirmed": "1"}).status_code == 302
    mine.refresh_from_db()
    wrong.refresh_from_db()
    assert mine.confirmed_at
    assert mine.account == world.lan
    assert wrong.declined_at
    assert wrong.account is None
    assert wrong.person is None
    # Answered once: no banner, no second answer, and the declined line is not linked again; the
    # way back to "Your organisations" stays on the home page (the confirmed membership).
    home = page.get("/").content.decode()
    assert 'data-testid="pending-memberships"' not in home
    assert '<a href="/memberships/">' in home
    page.post(f"/memberships/{mine.pk}/decline/", {"confirmed": "1"})
    mine.refresh_from_db()
    assert mine.declined_at is None
    assert mine.confirmed_at
    assert page.post(f"/memberships/{wrong.pk}/confirm/", {"confirmed": "1"}).status_code == 404
    _sign_in(api, sms, "0900000001")
    wrong.refresh_from_db()
    assert wrong.account is None
    assert wrong.declined_at
    # The org admin sees only the answer.
    admin_page = console(world.org_admin).get(f"/staff/orgs/{units['hcm'].pk}/").content.decode()
    assert "Declined" in admin_page or "Đã từ chối" in admin_page or "Từ chối" in admin_page


def test_it_never_shows_someone_elses_membership(world, api, sms, units):
    _sign_in(api, sms, "0900000002")
    mai_line = Member.objects.get(account=world.mai)
    page = console(world.lan)
    assert page.get(f"/memberships/{mai_line.pk}/confirm/").status_code == 404
    assert page.post(f"/memberships/{mai_line.pk}/confirm/", {"confirmed": "1"}).status_code == 404
    assert page.post(f"/memberships/{mai_line.pk}/whatever/", {"confirmed": "1"}).status_code == 404
    assert console(world.org_admin).get("/memberships/").status_code == 302


def test_it_counts_a_member_who_confirms_before_adding_themselves(world, api, sms, units):
    """Confirming first, then adding oneself, still attaches the roster line to the person."""
    from khaibao.accounts.models import Account
    from khaibao.orgs.members import member_add, membership_confirm

    member = member_add(actor=world.org_admin, unit=units["hk"], full_name="Trần Văn Bảy", phone="0900000077")
    _sign_in(api, sms, "0900000077")
    account = Account.objects.get(phone_index=phone_index("+84900000077"))
    member.refresh_from_db()
    assert member.account_id == account.id
    membership_confirm(actor=account, member=member)
    member.refresh_from_db()
    assert member.person_id is None
    body = {"full_name": "Trần Văn Bảy", "sex": "male", "birth_year": 1995, "relation": "self",
            "id_number": "001095000077", "ward_code": 70}
    resp = api.as_(account).post("/people", body)
    assert resp.status_code == 201, resp.content
    member.refresh_from_db()
    assert member.person_id == resp.json()["id"]
