"""The officials' console for duplicate ID numbers (issue 18, item 4): the open reviews of their
jurisdiction (paged, audited, empty state), one review with what they may see of both
registrations (through the access layer, audited), and settling it after a confirmation."""

from __future__ import annotations

from typing import Any

from django.test import Client

from khaibao.audit.models import AuditEvent
from khaibao.backoffice import id_reviews as console
from khaibao.news.tests.helpers import sign_in_staff
from khaibao.people.models import IdNumberReview


def staff(account: Any) -> Client:
    client = Client()
    sign_in_staff(client, account)
    return client


def _duplicate(api: Any, owner: Any, person: Any, holder: Any) -> IdNumberReview:
    """`owner` gives `person` the ID number `holder` already holds (accepted, sent to review)."""
    resp = api.as_(owner).patch(f"/people/{person.id}", {"id_number": holder.id_number})
    assert resp.status_code == 200, resp.content
    return IdNumberReview.objects.get(person=person, resolved_at__isnull=True)


def test_it_lists_the_open_reviews_of_the_jurisdiction_audited(world: Any, api: Any) -> None:
    ward = staff(world.ward_official)
    empty = ward.get("/staff/id-reviews/")
    assert empty.status_code == 200
    assert "Không có gì cần xem xét" in empty.content.decode()  # the empty state, in Vietnamese
    hanoi = _duplicate(api, world.lan, world.lan_parent, world.mai_self)
    saigon = _duplicate(api, world.hung, world.hung_spouse, world.lan_self)
    page = ward.get("/staff/id-reviews/").content.decode()
    assert f"/staff/id-reviews/{hanoi.pk}/" in page
    assert f"/staff/id-reviews/{saigon.pk}/" not in page
    assert world.lan_parent.initials in page
    assert world.lan_parent.full_name not in page  # initials only in the list
    assert "ngoài địa bàn của bạn" in page  # Mai lives in Ba Đình, outside the ward
    event = AuditEvent.objects.filter(action="list.id_reviews", actor_id=world.ward_official.pk).latest("pk")
    assert world.lan_parent.pk in event.data["people"]
    english = ward.get("/staff/id-reviews/", headers={"Accept-Language": "en"})
    assert "Duplicate ID numbers" in english.content.decode()
    # The province of Hà Nội sees the same review; Hồ Chí Minh City sees only its own.
    hcm = staff(world.province_hcm).get("/staff/id-reviews/").content.decode()
    assert f"/staff/id-reviews/{saigon.pk}/" in hcm
    assert f"/staff/id-reviews/{hanoi.pk}/" not in hcm


def test_it_pages_the_list_oldest_first(world: Any, api: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(console, "PAGE", 2)
    first = _duplicate(api, world.lan, world.lan_parent, world.mai_self)
    second = _duplicate(api, world.lan, world.lan_child, world.nam_self)
    third = _duplicate(api, world.nam, world.nam_self, world.hung_self)
    ward = staff(world.ward_official)
    resp = ward.get("/staff/id-reviews/")
    page = resp.content.decode()
    assert f"/staff/id-reviews/{first.pk}/" in page
    assert f"/staff/id-reviews/{second.pk}/" in page
    assert f"/staff/id-reviews/{third.pk}/" not in page
    after = resp.context["next_after"]
    assert after
    rest = ward.get("/staff/id-reviews/", {"after": after})
    assert f"/staff/id-reviews/{third.pk}/" in rest.content.decode()
    assert f"/staff/id-reviews/{first.pk}/" not in rest.content.decode()
    assert rest.context["next_after"] == ""
    bad = ward.get("/staff/id-reviews/", {"after": "not-a-cursor"})
    assert bad.status_code == 400
    assert "không còn hợp lệ" in bad.content.decode()


def test_the_review_shows_what_the_official_may_see_audited(world: Any, api: Any) -> None:
    review = _duplicate(api, world.lan, world.lan_parent, world.mai_self)
    ward = staff(world.ward_official)
    page = ward.get(f"/staff/id-reviews/{review.pk}/").content.decode()
    assert world.lan_parent.full_name in page
    assert world.mai_self.full_name not in page  # the holder lives outside the ward
    assert world.mai_self.id_number not in page  # numbers are masked
    assert world.mai_self.id_number[-3:] in page
    events = AuditEvent.objects.filter(action="person.id_review_view", actor_id=world.ward_official.pk)
    assert list(events.values_list("person_id", flat=True)) == [world.lan_parent.pk]
    # The province sees both registrations, and both reads are audited.
    province = staff(world.province).get(f"/staff/id-reviews/{review.pk}/").content.decode()
    assert world.mai_self.full_name in province
    assert set(AuditEvent.objects.filter(action="person.id_review_view", actor_id=world.province.pk)
               .values_list("person_id", flat=True)) == {world.lan_parent.pk, world.mai_self.pk}


def test_other_roles_and_jurisdictions_are_refused(world: Any, api: Any) -> None:
    review = _duplicate(api, world.lan, world.lan_parent, world.mai_self)
    hcm = staff(world.province_hcm)
    assert hcm.get(f"/staff/id-reviews/{review.pk}/").status_code == 404
    assert hcm.get("/staff/id-reviews/987654/").status_code == 404
    assert hcm.post(f"/staff/id-reviews/{review.pk}/resolve/", {"outcome": "same_person", "confirmed": "1"}).status_code == 404
    for account in (world.org_admin, world.checkpoint, world.dpo, world.lan):
        client = Client()
        client.force_login(account) if account.role == "citizen" else sign_in_staff(client, account)
        assert client.get("/staff/id-reviews/").status_code == 403
        assert client.get(f"/staff/id-reviews/{review.pk}/").status_code == 403
        assert client.post(f"/staff/id-reviews/{review.pk}/resolve/", {"outcome": "same_person", "confirmed": "1"}).status_code == 403
    assert Client().get("/staff/id-reviews/").status_code == 302  # to the sign-in page
    review.refresh_from_db()
    assert review.resolved_at is None
    assert not AuditEvent.objects.filter(action="person.id_number_review").exists()


def test_it_settles_a_review_after_confirmation(world: Any, api: Any) -> None:
    review = _duplicate(api, world.lan, world.lan_parent, world.mai_self)
    ward = staff(world.ward_official)
    url = f"/staff/id-reviews/{review.pk}/resolve/"
    missing = ward.post(url, {})
    assert missing.status_code == 400
    assert "Hãy chọn kết quả xem xét" in missing.content.decode()
    wrong = ward.post(url, {"outcome": "whatever", "confirmed": "1"})
    assert wrong.status_code == 400
    confirm = ward.post(url, {"outcome": "different_people"})
    assert confirm.status_code == 200
    assert 'name="confirmed"' in confirm.content.decode()
    review.refresh_from_db()
    assert review.resolved_at is None  # nothing changes before the confirmation
    done = ward.post(url, {"outcome": "different_people", "confirmed": "1"}, follow=True)
    assert done.status_code == 200
    assert "Đã xử lý" in done.content.decode()
    review.refresh_from_db()
    assert (review.outcome, review.resolved_by_id) == ("different_people", world.ward_official.pk)
    event = AuditEvent.objects.get(action="person.id_number_review")
    assert (event.actor_id, event.person_id, event.data["outcome"]) == (world.ward_official.pk, world.lan_parent.pk, "different_people")
    # Settled: off the list, and a second settlement finds nothing.
    assert f"/staff/id-reviews/{review.pk}/" not in ward.get("/staff/id-reviews/").content.decode()
    assert ward.post(url, {"outcome": "same_person", "confirmed": "1"}).status_code == 404
    assert "Đã kết luận" in ward.get(f"/staff/id-reviews/{review.pk}/").content.decode()
