from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone
from PIL import Image

from khaibao.accounts.phones import phone_index
from khaibao.audit.models import AuditEvent
from khaibao.cases.models import FollowUpCase
from khaibao.monitoring.models import PersonStatus
from khaibao.notifications.models import Notification
from khaibao.people.models import Person
from khaibao.people.persons import id_number_index
from khaibao.reports.models import Report, ReportPhoto, ReportStatusChange
from khaibao.reports.tests.helpers import (
    jpeg_bytes,
    png_bytes,
    report_body,
    solve_pow,
    submit_multipart,
    upload,
)

ANON_IP = "203.0.113.77"


def _submit(api: Any, account: Any, **overrides: Any) -> Any:
    resp = api.as_(account).post("/reports", report_body(**overrides))
    assert resp.status_code == 201, resp.content
    return resp.json()


def _stored(photo: ReportPhoto) -> Path:
    return Path(settings.REPORT_MEDIA_ROOT) / photo.path


# --- submitting -------------------------------------------------------------------------------


def test_it_records_a_signed_in_report_with_a_tracking_code(world: Any, api: Any) -> None:
    out = _submit(api, world.lan)
    report = Report.objects.get(pk=out["id"])
    assert report.reporter == world.lan
    assert report.status == "received"
    assert len(out["tracking_code"]) == 10
    assert out["tracking_code"] not in report.tracking_hash
    mine = api.as_(world.lan).get("/reports").json()
    assert [r["id"] for r in mine] == [report.pk]
    assert mine[0]["address"] == "Số 5 phố Hàng Bài"


def test_it_refuses_bad_fields_and_writes_nothing(world: Any, api: Any) -> None:
    future = (timezone.localtime() + timedelta(days=1)).isoformat()
    resp = api.as_(world.lan).post(
        "/reports", report_body(category="aliens", ward_code=999999, description="x" * 2001, happened_at=future)
    )
    assert resp.status_code == 400
    fields = resp.json()["error"]["fields"]
    assert {"category", "ward_code", "description", "happened_at"} <= fields.keys()
    assert not Report.objects.exists()


def test_it_reads_a_time_without_offset_as_vietnam_time(world: Any, api: Any) -> None:
    naive = (timezone.localtime() - timedelta(hours=2)).replace(microsecond=0, tzinfo=None)
    out = _submit(api, world.lan, happened_at=naive.isoformat())
    assert timezone.localtime(Report.objects.get(pk=out["id"]).happened_at).replace(tzinfo=None) == naive
    future = (timezone.localtime() + timedelta(hours=2)).replace(tzinfo=None).isoformat()
    resp = api.as_(world.lan).post("/reports", report_body(happened_at=future))
    assert resp.status_code == 400
    assert "happened_at" in resp.json()["error"]["fields"]


def test_it_requires_a_proof_of_work_for_anonymous_reports(world: Any, api: Any) -> None:
    resp = api.post("/reports", report_body())
    assert resp.status_code == 400
    assert "pow" in resp.json()["error"]["fields"]
    forged = api.post("/reports", report_body(pow="eyJmb28iOiAxfQ=="))
    assert forged.status_code == 400
    assert not Report.objects.exists()


def test_it_spends_a_proof_of_work_once(world: Any, api: Any) -> None:
    pow_payload = solve_pow()
    assert api.post("/reports", report_body(pow=pow_payload)).status_code == 201
    again = api.post("/reports", report_body(pow=pow_payload))
    assert again.status_code == 400
    assert "pow" in again.json()["error"]["fields"]


def test_it_keeps_no_identity_for_an_anonymous_report(world: Any, api: Any) -> None:
    resp = api.client.post(
        "/api/v1/reports", report_body(pow=solve_pow()), content_type="application/json", REMOTE_ADDR=ANON_IP
    )
    assert resp.status_code == 201
    report = Report.objects.get(pk=resp.json()["id"])
    assert report.reporter_id is None
    event = AuditEvent.objects.get(action="report.submit", object_id=str(report.pk))
    assert event.actor_id is None
    assert event.ip == ""
    # The address appears nowhere in the database.
    for model in apps.get_models():
        for row in model.objects.all().values_list():
            assert ANON_IP not in repr(row), model


def test_it_follows_an_anonymous_report_by_its_tracking_code(world: Any, api: Any) -> None:
    out = api.post("/reports", report_body(pow=solve_pow())).json()
    api.as_(world.ward_official).post(f"/reports/{out['id']}/replies", {"text": "Đã cử cán bộ đến kiểm tra."})
    tracked = api.get(f"/reports/track/{out['tracking_code'].lower()}")
    assert tracked.status_code == 200
    body = tracked.json()
    assert body["status"] == "received"
    assert [r["text"] for r in body["replies"]] == ["Đã cử cán bộ đến kiểm tra."]
    assert "address" not in body
    assert "description" not in body
    assert api.get("/reports/track/AAAAAAAAAA").status_code == 404


def test_it_shows_a_report_to_its_reporter_only(world: Any, api: Any) -> None:
    out = _submit(api, world.lan)
    assert api.as_(world.lan).get(f"/reports/{out['id']}").status_code == 200
    assert api.as_(world.mai).get(f"/reports/{out['id']}").status_code == 404
    assert api.as_(world.mai).get("/reports").json() == []


def test_it_limits_reports_per_account(world: Any, api: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_ACCOUNT = 2
    client = api.as_(world.lan)
    assert client.post("/reports", report_body()).status_code == 201
    assert client.post("/reports", report_body()).status_code == 201
    third = client.post("/reports", report_body())
    assert third.status_code == 429
    assert third["Retry-After"]
    assert Report.objects.count() == 2
    # Another account is not affected.
    assert api.as_(world.mai).post("/reports", report_body()).status_code == 201


def test_it_limits_reports_per_address(world: Any, api: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_IP = 1

    def post() -> Any:
        return api.client.post(
            "/api/v1/reports", report_body(pow=solve_pow()), content_type="application/json", REMOTE_ADDR=ANON_IP
        )

    assert post().status_code == 201
    assert post().status_code == 429
    assert Report.objects.count() == 1


def test_it_counts_only_accepted_reports_against_the_limit(world: Any, api: Any, settings: Any) -> None:
    # Issue 17, major 4: refused photos (too large, not an image) must not use up the hour's reports.
    settings.REPORT_RATE_PER_ACCOUNT = 2
    client = api.as_(world.lan)
    too_big = upload("big.jpg", b"\xff\xd8" + b"0" * (5 * 2**20 + 10), "image/jpeg")
    for bad in [too_big, upload("a.jpg", b"not an image", "image/jpeg")] * 2:
        bad.seek(0)
        resp = submit_multipart(client, report_body(), [bad])
        assert resp.status_code == 400, resp.content
        assert "photos" in resp.json()["error"]["fields"]
    assert client.post("/reports", report_body()).status_code == 201
    assert client.post("/reports", report_body()).status_code == 201
    assert client.post("/reports", report_body()).status_code == 429
    assert Report.objects.count() == 2


def test_it_refuses_staff_as_reporters(world: Any, api: Any) -> None:
    assert api.as_(world.ward_official).post("/reports", report_body()).status_code == 403


def test_it_honours_an_idempotency_key(world: Any, api: Any) -> None:
    client = api.as_(world.lan)
    body = report_body()
    first = client.post("/reports", body, headers={"Idempotency-Key": "r-1"})
    again = client.post("/reports", body, headers={"Idempotency-Key": "r-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Report.objects.count() == 1


# --- photos -----------------------------------------------------------------------------------


def test_it_strips_gps_metadata_from_photos(world: Any, api: Any) -> None:
    original = jpeg_bytes(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    resp = submit_multipart(
        api.as_(world.lan), report_body(), [upload("a.jpg", original, "image/jpeg"), upload("b.png", png_bytes(), "image/png")]
    )
    assert resp.status_code == 201, resp.content
    photos = list(ReportPhoto.objects.order_by("pk"))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    stored = Image.open(_stored(photos[0]))
    assert stored.format == "JPEG"
    assert not stored.getexif()
    assert (photos[0].width, photos[0].height) == (64, 48)


def test_it_refuses_a_text_file_named_jpg(world: Any, api: Any) -> None:
    resp = submit_multipart(api.as_(world.lan), report_body(), [upload("photo.jpg", b"hello, not an image", "image/jpeg")])
    assert resp.status_code == 400
    assert "photos" in resp.json()["error"]["fields"]
    assert not Report.objects.exists()


def test_it_refuses_a_photo_over_5_mb(world: Any, api: Any) -> None:
    noise = Image.frombytes("RGB", (1450, 1450), bytes(range(256)) * (1450 * 1450 * 3 // 256) + b"\0" * (1450 * 1450 * 3 % 256))
    out = io.BytesIO()
    noise.save(out, "PNG", compress_level=0)
    assert len(out.getvalue()) > 6 * 10**6
    resp = submit_multipart(api.as_(world.lan), report_body(), [upload("big.png", out.getvalue(), "image/png")])
    assert resp.status_code == 400
    assert "5 MB" in resp.json()["error"]["fields"]["photos"]
    assert not Report.objects.exists()


def test_it_refuses_a_polyglot_photo(world: Any, api: Any) -> None:
    zip_tail = b"PK\x03\x04" + b"\0" * 26 + b"<html><script>alert(1)</script></html>"
    resp = submit_multipart(api.as_(world.lan), report_body(), [upload("p.jpg", jpeg_bytes() + zip_tail, "image/jpeg")])
    assert resp.status_code == 400
    assert "photos" in resp.json()["error"]["fields"]


def test_it_refuses_a_photo_whose_content_differs_from_its_type(world: Any, api: Any) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    for name, data, ctype in [("x.jpg", gif.getvalue(), "image/jpeg"), ("y.jpg", png_bytes(), "image/jpeg")]:
        resp = submit_multipart(api.as_(world.lan), report_body(), [upload(name, data, ctype)])
        assert resp.status_code == 400, name
    assert not Report.objects.exists()


def test_it_refuses_more_than_three_photos(world: Any, api: Any) -> None:
    files = [upload(f"{i}.png", png_bytes(), "image/png") for i in range(4)]
    resp = submit_multipart(api.as_(world.lan), report_body(), files)
    assert resp.status_code == 400
    assert "photos" in resp.json()["error"]["fields"]


def test_it_serves_photos_to_the_reporter_and_area_officials_only(world: Any, api: Any) -> None:
    resp = submit_multipart(api.as_(world.lan), report_body(), [upload("a.png", png_bytes(), "image/png")])
    report_id = resp.json()["id"]
    photo = ReportPhoto.objects.get()
    url = f"/reports/{report_id}/photos/{photo.pk}"
    for allowed in (world.lan, world.ward_official, world.province):
        got = api.as_(allowed).get(url)
        assert got.status_code == 200
        assert got["Cache-Control"] == "no-store"
        assert got["Content-Type"] == "image/png"
    for refused in (world.mai, world.province_hcm, world.checkpoint):
        assert api.as_(refused).get(url).status_code == 404
    assert api.get(url).status_code == 401
    assert AuditEvent.objects.filter(action="report.photo_view", actor=world.ward_official).exists()


# --- officials --------------------------------------------------------------------------------


@pytest.mark.parametrize(("ward", "seen_by", "hidden_from"), [
    ("hoan_kiem", ("ward_official", "province", "national"), ("province_hcm",)),
    ("sai_gon", ("province_hcm", "national"), ("province", "ward_official")),
])
def test_it_routes_reports_to_the_area_of_the_place(
    world: Any, api: Any, ward: str, seen_by: tuple[str, ...], hidden_from: tuple[str, ...]
) -> None:
    report_id = _submit(api, world.lan, ward_code=getattr(world, ward).code)["id"]
    for name in seen_by:
        official = getattr(world, name)
        assert report_id in [i["id"] for i in api.as_(official).get("/reports/queue").json()["items"]], name
        assert api.as_(official).get(f"/reports/{report_id}/official").status_code == 200, name
    for name in hidden_from:
        official = getattr(world, name)
        assert report_id not in [i["id"] for i in api.as_(official).get("/reports/queue").json()["items"]], name
        assert api.as_(official).get(f"/reports/{report_id}/official").status_code == 404, name
        assert api.as_(official).post(f"/reports/{report_id}/status", {"status": "verifying"}).status_code == 404


def test_it_keeps_a_ward_official_to_their_own_ward(world: Any, api: Any) -> None:
    other_ward = _submit(api, world.lan, ward_code=world.ba_dinh.code)["id"]
    assert api.as_(world.ward_official).get(f"/reports/{other_ward}/official").status_code == 404
    assert api.as_(world.province).get(f"/reports/{other_ward}/official").status_code == 200


def test_it_refuses_the_queue_to_citizens(world: Any, api: Any) -> None:
    _submit(api, world.lan)
    resp = api.as_(world.mai).get("/reports/queue")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "forbidden"


def test_it_filters_the_queue_and_marks_overdue_reports(world: Any, api: Any) -> None:
    old = _submit(api, world.lan, category="misinformation")["id"]
    new = _submit(api, world.lan)["id"]
    Report.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(hours=50))
    client = api.as_(world.ward_official)
    items = client.get("/reports/queue").json()["items"]
    assert [(i["id"], i["overdue"]) for i in items] == [(old, True), (new, False)]
    assert [i["id"] for i in client.get("/reports/queue?age=overdue").json()["items"]] == [old]
    assert [i["id"] for i in client.get("/reports/queue?category=gathering").json()["items"]] == [new]


def test_it_audits_every_official_view(world: Any, api: Any) -> None:
    report_id = _submit(api, world.lan)["id"]
    api.as_(world.ward_official).get(f"/reports/{report_id}/official")
    assert AuditEvent.objects.filter(action="report.view", actor=world.ward_official, object_id=str(report_id)).exists()


def test_it_moves_a_report_through_the_workflow(world: Any, api: Any) -> None:
    first = _submit(api, world.lan)["id"]
    second = _submit(api, world.lan)["id"]
    client = api.as_(world.ward_official)
    assert client.post(f"/reports/{first}/status", {"status": "verifying"}).status_code == 200
    assert client.post(f"/reports/{first}/status", {"status": "handled"}).json()["status"] == "handled"
    refused = client.post(f"/reports/{first}/status", {"status": "rejected"})
    assert refused.status_code == 409
    no_target = client.post(f"/reports/{second}/status", {"status": "duplicate"})
    assert "duplicate_of" in no_target.json()["error"]["fields"]
    dup = client.post(f"/reports/{second}/status", {"status": "duplicate", "duplicate_of": first})
    assert dup.json()["duplicate_of"] == first
    changes = list(ReportStatusChange.objects.filter(report_id=first).values_list("from_status", "to_status"))
    assert changes == [("received", "verifying"), ("verifying", "handled")]
    shown = client.get(f"/reports/{first}/official").json()["status_changes"]
    assert [(c["from_status"], c["to_status"]) for c in shown] == changes
    assert AuditEvent.objects.filter(action="report.status", object_id=str(first)).count() == 2


def test_it_keeps_notes_internal_and_shows_replies(world: Any, api: Any) -> None:
    report_id = _submit(api, world.lan)["id"]
    client = api.as_(world.ward_official)
    assert client.post(f"/reports/{report_id}/notes", {"text": "Gọi tổ dân phố 3"}).status_code == 201
    assert client.post(f"/reports/{report_id}/replies", {"text": "Cảm ơn, đã xử lý."}).status_code == 201
    mine = api.as_(world.lan).get(f"/reports/{report_id}").json()
    assert [r["text"] for r in mine["replies"]] == ["Cảm ơn, đã xử lý."]
    assert "Gọi tổ dân phố 3" not in str(mine)
    official = client.get(f"/reports/{report_id}/official").json()
    assert [n["text"] for n in official["notes"]] == ["Gọi tổ dân phố 3"]
    assert api.as_(world.lan).post(f"/reports/{report_id}/notes", {"text": "x"}).status_code == 404


def test_it_tells_the_reporter_of_an_answer_and_nobody_of_a_note(world: Any, api: Any) -> None:
    # Issue 17: an official's reply reaches the reporter's inbox; an internal note does not.
    report_id = _submit(api, world.lan)["id"]
    client = api.as_(world.ward_official)
    client.post(f"/reports/{report_id}/notes", {"text": "Gọi tổ dân phố 3"})
    assert not Notification.objects.exists()
    client.post(f"/reports/{report_id}/replies", {"text": "Cảm ơn, đã xử lý."})
    notification = Notification.objects.get()
    assert notification.account == world.lan
    assert notification.kind == "report_reply"
    assert notification.link == f"/reports/#report-{report_id}"
    assert f"số {report_id}" in notification.body
    assert "Cảm ơn" not in notification.body  # the answer itself is read in the account
    inbox = api.as_(world.lan).get("/notifications").json()
    assert [n["title"] for n in inbox["items"]] == ["Phản ánh của bạn đã có trả lời"]


def test_it_notifies_nobody_when_answering_an_anonymous_report(world: Any, api: Any) -> None:
    resp = api.client.post("/api/v1/reports", report_body(pow=solve_pow()), content_type="application/json")
    api.as_(world.ward_official).post(f"/reports/{resp.json()['id']}/replies", {"text": "Đã xử lý."})
    assert not Notification.objects.exists()


def test_it_turns_a_report_into_a_case_in_the_queue(world: Any, api: Any) -> None:
    report_id = _submit(api, world.lan, category="suspected_case")["id"]
    client = api.as_(world.ward_official)
    resp = client.post(
        f"/reports/{report_id}/to-case",
        {"full_name": "Hoàng Văn Sốt", "phone": "0912345678", "birth_year": 1980, "sex": "male"},
    )
    assert resp.status_code == 201, resp.content
    person = Person.objects.get(pk=resp.json()["person_id"])
    assert person.home_ward_id == 70
    status = PersonStatus.objects.get(person=person)
    assert status.contact_level == "F1"
    assert FollowUpCase.objects.filter(person=person, assigned_to=world.ward_official).exists()
    triage = client.get("/triage").json()["items"]
    assert person.pk in [item["person_id"] for item in triage]
    # Again: the same person, nothing new.
    again = client.post(f"/reports/{report_id}/to-case", {"full_name": "Someone Else", "birth_year": 1990, "sex": "male"})
    assert again.json()["person_id"] == person.pk
    assert Person.objects.filter(full_name="Someone Else").count() == 0


def test_it_links_an_existing_person_when_turning_into_a_case(world: Any, api: Any) -> None:
    report_id = _submit(api, world.mai, category="undeclared_or_not_isolating")["id"]
    resp = api.as_(world.ward_official).post(f"/reports/{report_id}/to-case", {"person_id": world.lan_self.pk})
    assert resp.status_code == 201
    assert Report.objects.get(pk=report_id).person == world.lan_self
    hidden = _submit(api, world.mai, category="suspected_case")["id"]
    refused = api.as_(world.ward_official).post(f"/reports/{hidden}/to-case", {"person_id": world.hung_self.pk})
    assert refused.status_code in (400, 404)


@pytest.mark.parametrize(
    ("identity", "field", "key", "index_of", "canonical"),
    [
        ({"id_number": "079079000004"}, "id_number", "id_number_index", id_number_index, "079079000004"),
        ({"phone": "0900000003"}, "phone", "phone_index", phone_index, "+84900000003"),
    ],
)
def test_it_does_not_reveal_a_person_outside_the_area_when_turning_a_report_into_a_case(
    world: Any, api: Any, identity: dict[str, str], field: str, key: str, index_of: Any, canonical: str
) -> None:
    report_id = _submit(api, world.mai, category="suspected_case")["id"]  # Hoàn Kiếm; Hùng lives in TP.HCM
    resp = api.as_(world.ward_official).post(f"/reports/{report_id}/to-case", {"full_name": "Phạm Văn Hùng", **identity})
    # As a person_id outside the area is answered: no id, no case in their name.
    assert resp.status_code == 400, resp.content
    assert set(resp.json()["error"]["fields"]) == {field}
    assert "person_id" not in resp.json()
    assert Report.objects.get(pk=report_id).person is None
    assert not FollowUpCase.objects.filter(person=world.hung_self).exists()
    assert not PersonStatus.objects.filter(person=world.hung_self, contact_level="F1").exists()
    event = AuditEvent.objects.get(action="report.to_case_refused")
    assert event.actor_id == world.ward_official.id
    assert event.reason == "report_to_case"
    assert event.person_id == world.hung_self.id  # the DPO's search by person finds the attempt
    assert event.data["outcome"] == "outside_area"
    assert event.data[key] == index_of(canonical)
    assert canonical[-9:] not in str(event.data)


def test_it_audits_a_number_nobody_has_when_turning_a_report_into_a_case(world: Any, api: Any) -> None:
    report_id = _submit(api, world.mai, category="suspected_case")["id"]
    people = Person.objects.count()
    resp = api.as_(world.ward_official).post(f"/reports/{report_id}/to-case", {"full_name": "Người Lạ", "id_number": "001199000123"})
    assert resp.status_code == 400, resp.content
    assert set(resp.json()["error"]["fields"]) == {"birth_year", "sex"}
    assert Person.objects.count() == people
    event = AuditEvent.objects.get(action="report.to_case_refused")
    assert (event.actor_id, event.reason, event.person_id) == (world.ward_official.id, "report_to_case", None)
    assert event.data == {"outcome": "not_registered", "id_number_index": id_number_index("001199000123")}


def test_it_still_turns_a_report_about_someone_of_the_area_found_by_number_into_a_case(world: Any, api: Any) -> None:
    report_id = _submit(api, world.mai, category="suspected_case")["id"]
    resp = api.as_(world.ward_official).post(f"/reports/{report_id}/to-case", {"full_name": "Đỗ Văn Nam", "id_number": "001065000007"})
    assert resp.status_code == 201, resp.content
    assert resp.json()["person_id"] == world.nam_self.id
    assert not AuditEvent.objects.filter(action="report.to_case_refused").exists()


def test_it_refuses_to_turn_a_report_not_about_a_person_into_a_case(world: Any, api: Any) -> None:
    report_id = _submit(api, world.lan, category="misinformation")["id"]
    resp = api.as_(world.ward_official).post(f"/reports/{report_id}/to-case", {"person_id": world.lan_self.pk})
    assert resp.status_code == 409


def test_it_accepts_photos_over_the_global_body_limit_with_an_idempotency_key(world: Any, api: Any) -> None:
    noise = Image.frombytes("RGB", (800, 800), os.urandom(800 * 800 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > settings.API_MAX_BODY_BYTES
    client = api.as_(world.lan)
    body = report_body()  # the same body twice: a retry
    first = submit_multipart(client, body, [upload("a.png", out.getvalue(), "image/png")], headers={"Idempotency-Key": "big-1"})
    again = submit_multipart(client, body, [upload("a.png", out.getvalue(), "image/png")], headers={"Idempotency-Key": "big-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Report.objects.count() == 1
    assert ReportPhoto.objects.count() == 1


def test_it_refuses_a_decompression_bomb(world: Any, api: Any, monkeypatch: Any) -> None:
    # Pillow's own limit, lowered so that a small test image counts as a bomb.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for size in ((40, 40), (64, 48)):  # above the limit (a warning in Pillow), and above twice it (an error)
        resp = submit_multipart(api.as_(world.lan), report_body(), [upload("b.jpg", jpeg_bytes(size), "image/jpeg")])
        assert resp.status_code == 400, size
        assert "photos" in resp.json()["error"]["fields"]
    assert not Report.objects.exists()


def test_it_lists_my_reports_in_a_fixed_number_of_queries(
    world: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    client = api.as_(world.lan)
    for _ in range(3):
        report_id = client.post("/reports", report_body()).json()["id"]
        api.as_(world.ward_official).post(f"/reports/{report_id}/replies", {"text": "Đã nhận."})
    with django_assert_max_num_queries(6):
        mine = client.get("/reports").json()
    assert [len(r["replies"]) for r in mine] == [1, 1, 1]
