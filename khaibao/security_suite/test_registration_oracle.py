"""No registration oracle (issue 18, item 4).

Adding (or changing) a person with an ID number another household registered used to answer 409
"already registered": a way to test whether someone is registered. Now the person is accepted
exactly as with a fresh number and the duplicate goes to the officials' review; attempts with an
ID number are limited per account and audited.
"""

from __future__ import annotations

from typing import Any

from khaibao.audit.models import AuditEvent
from khaibao.people.models import IdNumberReview, Person

MAI_ID_NUMBER = "001192000002"  # Lê Thị Mai's own (demo world)
FRESH_ID_NUMBER = "001190123456"


def _adult(id_number: str, name: str) -> dict[str, Any]:
    return {"relation": "sibling", "full_name": name, "sex": "female", "date_of_birth": "1990-04-01",
            "ward_code": 70, "id_number": id_number}


def _shape(resp: Any) -> tuple[int, set[str], str]:
    body = resp.json()
    return resp.status_code, set(body), resp["Content-Type"]


def test_a_registered_number_answers_like_a_fresh_one(sec):
    lan = sec.api("citizen_owner")
    taken = lan.post("/people", _adult(MAI_ID_NUMBER, "Nguyễn Thị Hai"))
    fresh = lan.post("/people", _adult(FRESH_ID_NUMBER, "Nguyễn Thị Ba"))
    assert taken.status_code == 201, taken.content
    assert _shape(taken) == _shape(fresh)
    assert b"registered" not in taken.content.lower()
    assert b"duplicate" not in taken.content.lower()
    person = Person.objects.get(pk=taken.json()["id"])
    review = IdNumberReview.objects.get(person=person)
    # The earliest other holder (Lan's son was given the same number when the world was built).
    assert review.holder_id == min(sec.named.mai_self.id, sec.named.lan_child.id)
    assert review.resolved_at is None
    assert not IdNumberReview.objects.filter(person_id=fresh.json()["id"]).exists()
    event = AuditEvent.objects.get(action="person.id_number_duplicate", person_id=person.pk)
    assert event.actor_id == sec.accounts["citizen_owner"].pk
    assert event.data == {"holder": review.holder_id}


def test_changing_to_a_registered_number_is_accepted_and_reviewed(sec):
    lan = sec.api("citizen_owner")
    resp = lan.patch(f"/people/{sec.named.lan_self.id}", {"id_number": "001065000007"})
    assert resp.status_code == 200, resp.content
    assert IdNumberReview.objects.filter(person=sec.named.lan_self, holder=sec.named.nam_self).exists()


def test_a_volunteer_registering_a_registered_number_is_answered_alike(sec):
    resp = sec.api("volunteer").post("/volunteers/assisted", {
        "full_name": "Bà Sáu", "date_of_birth": "1945-02-02", "sex": "female", "ward_code": 70,
        "id_number": MAI_ID_NUMBER, "consent_method": "witnessed", "attested": True, "witness_name": "Trần Văn Chứng",
    })
    assert resp.status_code == 201, resp.content
    assert IdNumberReview.objects.filter(person__full_name="Bà Sáu").exists()


def test_attempts_with_id_numbers_are_limited_and_audited(sec, settings):
    settings.ID_NUMBER_ATTEMPTS_PER_HOUR = 3
    mai = sec.api("other_citizen")
    answers = [
        mai.post("/people", _adult(f"0011901000{n:02d}", f"Lê Văn Thử {chr(65 + n)}")).status_code for n in range(5)
    ]
    assert answers == [201, 201, 201, 429, 429]
    limited = AuditEvent.objects.filter(action="person.id_number_attempts_limited", actor_id=sec.accounts["other_citizen"].pk)
    assert limited.count() == 2
    # People without an ID number (children) are not attempts.
    assert mai.post("/people", {"relation": "child", "full_name": "Lê Bé Út", "sex": "male",
                                "date_of_birth": "2020-01-01", "ward_code": 70}).status_code == 201


def test_officials_of_the_area_review_the_duplicate(sec):
    review_id = sec.ids["id_review"]
    listed = sec.api("ward_official").get("/id-number-reviews")
    assert listed.status_code == 200, listed.content
    row = next(r for r in listed.json() if r["id"] == review_id)
    assert row["person_id"] == sec.named.lan_child.id
    # Mai lives in Ba Đình: outside the Hoàn Kiếm ward official's jurisdiction, inside the province's.
    assert row["holder_id"] is None
    assert row["holder_elsewhere"] is True
    province_row = next(r for r in sec.api("province_official").get("/id-number-reviews").json() if r["id"] == review_id)
    assert province_row["holder_id"] == sec.named.mai_self.id
    assert all(r["id"] != review_id for r in sec.api("ward_official_out").get("/id-number-reviews").json())
    assert sec.api("ward_official_out").post(f"/id-number-reviews/{review_id}/resolve", {"outcome": "corrected"}).status_code == 404
    assert sec.api("citizen_owner").get("/id-number-reviews").status_code == 403
    done = sec.api("ward_official").post(f"/id-number-reviews/{review_id}/resolve", {"outcome": "different_people"})
    assert done.status_code == 200, done.content
    assert IdNumberReview.objects.get(pk=review_id).outcome == "different_people"
    assert AuditEvent.objects.filter(action="person.id_number_review", person_id=sec.named.lan_child.id).exists()
    assert AuditEvent.objects.filter(action="list.id_reviews", actor_id=sec.accounts["ward_official"].pk).exists()
    assert all(r["id"] != review_id for r in sec.api("ward_official").get("/id-number-reviews").json())
