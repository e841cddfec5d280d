"""A membership answer is final, so the web asks first (review: one tap used to answer for good):
GET — or a bare POST, from an old page or a script — shows the shared confirmation page, which
says what the organisation will see and changes nothing; only its own POST (`confirmed=1`)
answers. A declined line stays visible to the citizen who declined it, and to no one else."""

from __future__ import annotations

from typing import Any

from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.orgs.members import members_link_for_account
from khaibao.orgs.models import Member
from khaibao.orgs.tests.helpers import console

EN = {"Accept-Language": "en"}
HK = "Đoàn cơ sở phường Hoàn Kiếm"


def _text(resp: Any) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.content.decode()


def _lan_line(world: Any, units: Any) -> Member:
    members_link_for_account(account=world.lan)
    return Member.objects.get(unit=units["hk"], account=world.lan)


def test_it_says_what_the_organisation_will_see_before_confirming(world: Any, units: Any) -> None:
    line = _lan_line(world, units)
    page = console(world.lan)
    url = f"/memberships/{line.pk}/confirm/"
    listing = _text(page.get("/memberships/"))
    assert f'href="{url}"' in listing
    assert f'action="{url}"' not in listing  # no one-tap answer left
    text = _text(page.get(url, headers=EN))
    assert f"Confirm that you are a member of {HK}?" in text
    assert "whether you have declared since its campaign started, whether you sent today&#x27;s update" in text
    assert "the date of your last update" in text
    assert "never sees your answers, symptoms, risk level" in text
    assert "Your answer is final" in text
    assert 'name="confirmed" value="1"' in text
    assert 'href="/memberships/">Cancel</a>' in text
    assert "Yes, I am a member" in _text(page.post(url, headers=EN))  # a bare POST: the same page
    line.refresh_from_db()
    assert (line.confirmed_at, line.declined_at) == (None, None)
    assert not AuditEvent.objects.filter(action="orgs.membership_confirm").exists()

    assert page.post(url, {"confirmed": "1"}).status_code == 302
    line.refresh_from_db()
    assert line.confirmed_at is not None
    assert AuditEvent.objects.filter(action="orgs.membership_confirm", actor=world.lan).count() == 1
    # Answered: the page says so and offers nothing more to press.
    again = _text(page.get(url, headers=EN))
    assert "You have already answered for this membership." in again
    assert 'name="confirmed"' not in again
    assert page.post(url, {"confirmed": "1"}).status_code == 302  # refused by the service, unchanged
    assert AuditEvent.objects.filter(action="orgs.membership_confirm").count() == 1


def test_it_asks_before_declining_and_then_shows_the_declined_line(world: Any, units: Any) -> None:
    line = _lan_line(world, units)
    page = console(world.lan)
    url = f"/memberships/{line.pk}/decline/"
    text = _text(page.post(url, headers=EN))  # a bare POST shows the question
    assert f"Tell {HK} that {line.full_name} on its list is not you?" in text
    assert "sees only that the owner of this phone number answered" in text
    assert "Your answer is final" in text
    line.refresh_from_db()
    assert (line.account_id, line.declined_at) == (world.lan.pk, None)

    assert page.post(url, {"confirmed": "1"}).status_code == 302
    line.refresh_from_db()
    assert line.declined_at is not None
    assert line.account_id is None
    listing = _text(page.get("/memberships/", headers=EN))
    assert "You said this is not you" in listing
    assert HK in listing
    assert "No organisation has listed you." not in listing
    # Unlinked: the line can no longer be answered, only read.
    assert page.get(url).status_code == 404
    assert page.post(f"/memberships/{line.pk}/confirm/", {"confirmed": "1"}).status_code == 404


def test_it_shows_a_declined_line_only_to_the_phone_it_names(world: Any, units: Any) -> None:
    mai_line = Member.objects.get(unit=units["hk"], phone_index=world.mai.phone_index)
    Member.objects.filter(pk=mai_line.pk).update(declined_at=mai_line.created_at)
    lan = _text(console(world.lan).get("/memberships/", headers=EN))
    assert mai_line.full_name not in lan
    assert "You said this is not you" not in lan
    mai = _text(console(world.mai).get("/memberships/", headers=EN))
    assert "You said this is not you" in mai
    assert mai_line.full_name in mai
    # A line taken off the roster is no longer shown.
    Member.objects.filter(pk=mai_line.pk).update(removed_at=mai_line.created_at)
    assert "You said this is not you" not in _text(console(world.mai).get("/memberships/", headers=EN))


def test_the_home_page_answers_through_the_confirmation_and_returns_home(world: Any, units: Any) -> None:
    Member.objects.create(unit=units["hcm"], full_name="Nhầm người", phone="+84900000001",
                          phone_index=phone_index("+84900000001"))
    members_link_for_account(account=world.lan)
    wrong = Member.objects.get(unit=units["hcm"], account=world.lan)
    page = console(world.lan)
    url = f"/memberships/{wrong.pk}/decline/"
    home = _text(page.get("/"))
    assert f'href="{url}?back=home"' in home
    asked = _text(page.get(f"{url}?back=home", headers=EN))
    assert 'name="back" value="home"' in asked
    assert 'href="/">Cancel</a>' in asked
    resp = page.post(url, {"back": "home", "confirmed": "1"})
    assert (resp.status_code, resp["Location"]) == (302, "/")
    wrong.refresh_from_db()
    assert wrong.declined_at is not None
