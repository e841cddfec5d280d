"""Every field rule, table-driven, through both interfaces: the API and the web form must
refuse the same input with a message on the same field, and write nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.people.models import Person

TODAY = timezone.localdate()


def years_ago(n: int, *, days: int = 0) -> date:
    return TODAY.replace(year=TODAY.year - n) + timedelta(days=days)


BASE: dict[str, Any] = {
    "full_name": "Lê Văn Tâm", "date_of_birth": "1990-04-02", "sex": "male", "relation": "sibling",
    "id_number": "001090000777", "nationality": "VN",
}

# (case id, changes to BASE — None removes the key, the field that must carry the message)
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("name-empty", {"full_name": ""}, "full_name"),
    ("name-blank", {"full_name": "   "}, "full_name"),
    ("name-101-chars", {"full_name": "A" * 101}, "full_name"),
    ("name-control-char", {"full_name": "Lê Văn\x00Tâm"}, "full_name"),
    ("name-tab", {"full_name": "Lê Văn\tTâm"}, "full_name"),
    ("name-bidi-override", {"full_name": "Lê Văn\u202eTâm"}, "full_name"),
    ("name-zero-width", {"full_name": "Lê\u200bVăn"}, "full_name"),
    ("name-no-letters", {"full_name": "12345"}, "full_name"),
    # Issue 17: letters (any script), spaces, hyphens, apostrophes and dots only.
    ("name-emoji", {"full_name": "😀 Bé Na 🎉"}, "full_name"),
    ("name-digits", {"full_name": "Lê Văn Tâm 2"}, "full_name"),
    ("name-symbols", {"full_name": "Lê Văn Tâm @ nhà"}, "full_name"),
    ("name-markup", {"full_name": "<b>Lê Văn Tâm</b>"}, "full_name"),
    ("name-comma", {"full_name": "Lê, Văn Tâm"}, "full_name"),
    ("dob-future", {"date_of_birth": (TODAY + timedelta(days=1)).isoformat()}, "date_of_birth"),
    ("dob-before-1900", {"date_of_birth": "1899-12-31"}, "date_of_birth"),
    ("year-future", {"date_of_birth": None, "birth_year": TODAY.year + 1}, "birth_year"),
    ("year-before-1900", {"date_of_birth": None, "birth_year": 1899}, "birth_year"),
    ("no-birth-at-all", {"date_of_birth": None}, "date_of_birth"),
    ("year-disagrees-with-date", {"birth_year": 1991}, "birth_year"),
    ("id-too-short", {"id_number": "12345"}, "id_number"),
    ("id-10-digits", {"id_number": "0010900007"}, "id_number"),
    ("id-13-digits", {"id_number": "0010900007771"}, "id_number"),
    ("id-11-digits", {"id_number": "00109000077"}, "id_number"),
    ("passport-no-digit", {"id_number": "ABCDEFGH"}, "id_number"),
    ("passport-13-chars", {"id_number": "C123456789012"}, "id_number"),
    ("passport-punctuation", {"id_number": "C12-34567"}, "id_number"),
    ("adult-without-id", {"id_number": None}, "id_number"),
    ("aged-14-today-without-id", {"id_number": None, "date_of_birth": years_ago(14).isoformat()}, "id_number"),
    ("year-only-15-years-without-id", {"id_number": None, "date_of_birth": None, "birth_year": TODAY.year - 15}, "id_number"),
    ("phone-garbage", {"phone": "12345"}, "phone"),
    ("phone-foreign", {"phone": "+14155550123"}, "phone"),
    ("phone-landline", {"phone": "024 3825 3531"}, "phone"),
    ("ward-unknown", {"ward_code": 999999}, "ward_code"),
    ("nationality-unknown", {"nationality": "XX"}, "nationality"),
    ("nationality-alpha-3", {"nationality": "VNM"}, "nationality"),
    ("street-201-chars", {"street": "x" * 201}, "street"),
    ("street-newline", {"street": "12 Lê Lợi\nQuận 1"}, "street"),
    ("sex-unknown", {"sex": "unknown"}, "sex"),
    ("relation-unknown", {"relation": "cousin"}, "relation"),
]

# Accepted, with how the stored value reads back.
VALID: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("cccd", {"id_number": "001090000778"}, {"id_number": "001090000778"}),
    ("cmnd", {"id_number": "012345678"}, {"id_number": "012345678"}),
    ("passport-lower-case-spaced", {"id_number": " c123 4567 "}, {"id_number": "C1234567"}),
    ("child-under-14-without-id", {"id_number": None, "relation": "child", "date_of_birth": "2018-01-01"}, {"id_number": ""}),
    ("turns-14-tomorrow-without-id", {"id_number": None, "date_of_birth": years_ago(14, days=1).isoformat()}, {"id_number": ""}),
    ("year-only-14-years-ago-without-id", {"id_number": None, "date_of_birth": None, "birth_year": TODAY.year - 14}, {"id_number": ""}),
    ("name-trimmed-and-spaced", {"full_name": "  Lê   Văn Tâm "}, {"full_name": "Lê Văn Tâm"}),
    ("name-100-chars", {"full_name": "A" * 100}, {"full_name": "A" * 100}),
    ("name-decomposed-accents", {"full_name": "Le\u0302 Va\u0306n Ta\u0302m"}, {"full_name": "Lê Văn Tâm"}),
    ("name-apostrophe-hyphen", {"full_name": "Jean-Pierre O'Neil"}, {"full_name": "Jean-Pierre O'Neil"}),
    ("name-initial-with-dot", {"full_name": "Nguyễn T. Lan"}, {"full_name": "Nguyễn T. Lan"}),
    ("name-other-script", {"full_name": "王小明"}, {"full_name": "王小明"}),
    ("name-typographic-apostrophe", {"full_name": "H’Hen Niê"}, {"full_name": "H’Hen Niê"}),
    ("born-1900", {"date_of_birth": "1900-01-01"}, {"birth_year": 1900}),
    ("born-today", {"date_of_birth": TODAY.isoformat(), "id_number": None}, {"birth_year": TODAY.year}),
    ("phone-local-form", {"phone": "0912.345.678"}, {"phone": "+84912345678"}),
    ("foreign-national", {"nationality": "FR", "id_number": "15AB12345"}, {"nationality_id": "FR"}),
]


def _body(changes: dict[str, Any]) -> dict[str, Any]:
    body = dict(BASE)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def _form(world: Any, changes: dict[str, Any]) -> dict[str, Any]:
    body = _body(changes)
    data = {k: ("" if v is None else v) for k, v in body.items()}
    data.setdefault("province", world.hanoi.code)
    data.setdefault("ward_code", world.ba_dinh.code)
    return data


def _counts() -> tuple[int, int]:
    return Person.objects.count(), AuditEvent.objects.filter(action="person.create").count()


def _nothing_written(before: tuple[int, int]) -> None:
    assert _counts() == before


@pytest.mark.parametrize(("changes", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_it_refuses_bad_input_in_the_api(world, api, changes, field):
    before = _counts()
    resp = api.as_(world.mai).post("/people", _body(changes))
    assert resp.status_code == 400, resp.json()
    error = resp.json()["error"]
    assert field in error["fields"], error
    assert error["fields"][field]
    _nothing_written(before)


@pytest.mark.parametrize(("changes", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_it_refuses_bad_input_in_the_web_form(world, changes, field):
    client = Client()
    client.force_login(world.mai)
    before = _counts()
    resp = client.post("/household/add/", _form(world, changes))
    assert resp.status_code == 200
    form = resp.context["form"]
    assert field in form.errors, form.errors
    assert 'class="field-error"' in resp.content.decode()
    _nothing_written(before)


@pytest.mark.parametrize(("changes", "stored"), [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_it_accepts_and_normalises_good_input_in_the_api(world, api, changes, stored):
    resp = api.as_(world.mai).post("/people", _body(changes))
    assert resp.status_code == 201, resp.json()
    person = Person.objects.get(pk=resp.json()["id"])
    for name, value in stored.items():
        assert getattr(person, name) == value


@pytest.mark.parametrize(("changes", "stored"), [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_it_accepts_and_normalises_good_input_in_the_web_form(world, changes, stored):
    client = Client()
    client.force_login(world.mai)
    resp = client.post("/household/add/", _form(world, changes))
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    person = Person.objects.filter(households__owner=world.mai).latest("pk")
    for name, value in stored.items():
        assert getattr(person, name) == value


def test_it_reports_every_bad_field_at_once(world, api):
    resp = api.as_(world.mai).post("/people", _body({"full_name": "", "id_number": "123", "street": "a\x07"}))
    assert resp.status_code == 400
    assert {"full_name", "id_number", "street"} <= set(resp.json()["error"]["fields"])


def test_it_says_the_id_number_is_optional_under_14(world, api):
    resp = api.as_(world.mai).post("/people", _body({"id_number": None}))
    assert "14" in resp.json()["error"]["fields"]["id_number"]


def test_it_refuses_bad_input_on_update_and_writes_nothing(world, api):
    client = api.as_(world.lan)
    for body, field in [
        ({"full_name": None}, "full_name"),
        ({"full_name": "x\x1b"}, "full_name"),
        ({"date_of_birth": (TODAY + timedelta(days=3)).isoformat()}, "date_of_birth"),
        ({"id_number": None}, "id_number"),
        ({"ward_code": 123456789}, "ward_code"),
        ({"sex": None}, "sex"),
        ({"unknown": 1}, "unknown"),
    ]:
        resp = client.patch(f"/people/{world.lan_parent.id}", body)
        assert resp.status_code == 400, (body, resp.json())
        assert field in resp.json()["error"]["fields"], (body, resp.json())
    world.lan_parent.refresh_from_db()
    assert world.lan_parent.full_name == "Nguyễn Văn Bình"
    assert world.lan_parent.id_number == "001055000003"
    assert not AuditEvent.objects.filter(action="person.update").exists()


def test_it_refuses_unknown_fields_and_wrong_types(world, api):
    resp = api.as_(world.mai).post("/people", _body({"nickname": "Tí", "birth_year": "nineteen"}))
    assert resp.status_code == 400
    assert {"nickname", "birth_year"} <= set(resp.json()["error"]["fields"])
