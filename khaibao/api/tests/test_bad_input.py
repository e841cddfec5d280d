"""Bad input on the API: a 4xx in the one error format, nothing written, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from khaibao.accounts.models import OtpChallenge
from khaibao.audit.models import AuditEvent
from khaibao.core.models import IdempotencyRecord
from khaibao.people.models import Person

CHILD = {"full_name": "Lê Văn Tèo", "sex": "male", "birth_year": 2018, "relation": "child", "ward_code": 70}


def assert_error(resp: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.content
    assert resp["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def nothing_written(world: Any) -> Any:
    """Counted after the world (and any token) exists; list it after `lan` in a test's arguments."""
    counts = (
        Person.objects.count(),
        OtpChallenge.objects.count(),
        IdempotencyRecord.objects.count(),
        AuditEvent.objects.count(),
    )
    yield
    after = (
        Person.objects.count(),
        OtpChallenge.objects.count(),
        IdempotencyRecord.objects.count(),
        AuditEvent.objects.count(),
    )
    assert after == counts


@pytest.fixture
def lan(world: Any, api: Any) -> Any:
    return api.as_(world.lan)


@pytest.mark.parametrize("path", ["/auth/otp/request", "/people"])
@pytest.mark.parametrize("raw", ['{"phone": ', "not json", '{"a": 1,}', "\xff\xfe", "{"])
def test_it_refuses_malformed_json(lan, nothing_written, path, raw):
    resp = lan.post(path, raw, raw=True, headers={"Idempotency-Key": "k1"})
    assert_error(resp, 400, "malformed_json")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_it_refuses_a_body_that_is_not_json(lan, nothing_written, content_type):
    resp = lan.client.post(
        "/api/v1/people",
        json.dumps(CHILD),
        content_type=content_type,
        headers=lan._headers({"Idempotency-Key": "k"}),
    )
    assert_error(resp, 415, "unsupported_media_type")


def test_it_refuses_a_body_over_one_megabyte(lan, nothing_written):
    body = json.dumps({**CHILD, "street": "x" * (1024 * 1024)})
    resp = lan.post("/people", body, raw=True, headers={"Idempotency-Key": "k"})
    assert_error(resp, 413, "body_too_large")


def test_it_refuses_an_oversized_body_before_signing_in(nothing_written):
    resp = Client().post("/api/v1/auth/otp/request", "x" * (1024 * 1024 + 1), content_type="application/json")
    assert_error(resp, 413, "body_too_large")


def test_it_names_unknown_fields(lan, nothing_written):
    error = assert_error(
        lan.post("/people", {**CHILD, "is_admin": True}, headers={"Accept-Language": "en"}), 400, "invalid"
    )
    assert error["fields"] == {"is_admin": "Unknown field."}
    error = assert_error(lan.post("/auth/otp/request", {"phone": "0912345678", "role": "official"}), 400)
    assert set(error["fields"]) == {"role"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**CHILD, "birth_year": "two thousand"}, "birth_year"),
        ({**CHILD, "birth_year": [2018]}, "birth_year"),
        ({**CHILD, "full_name": 42}, "full_name"),
        ({**CHILD, "ward_code": {"code": 70}}, "ward_code"),
        ({**CHILD, "sex": "unknown"}, "sex"),
        ({k: v for k, v in CHILD.items() if k != "full_name"}, "full_name"),
    ],
)
def test_it_names_fields_of_the_wrong_type(lan, nothing_written, body, field):
    error = assert_error(lan.post("/people", body), 400, "invalid")
    assert field in error["fields"]


@pytest.mark.parametrize("body", [[], ["phone"], "0912345678", 42, None])
def test_it_refuses_a_body_that_is_not_an_object(nothing_written, api, body):
    error = assert_error(api.post("/auth/otp/request", json.dumps(body), raw=True), 400)
    assert "body" in error["fields"]


def test_it_refuses_an_empty_body(nothing_written, api):
    error = assert_error(api.post("/auth/otp/request", "", raw=True), 400)
    assert error["fields"]


def test_it_refuses_wrong_types_on_sign_in(nothing_written, api):
    error = assert_error(api.post("/auth/otp/request", {"phone": 912345678}), 400, "invalid")
    assert set(error["fields"]) == {"phone"}
    error = assert_error(api.post("/auth/otp/verify", {"phone": "0912345678", "code": 123456}), 400)
    assert set(error["fields"]) == {"code"}


def test_it_answers_unknown_addresses_and_methods_in_the_error_format(api):
    assert_error(api.get("/no-such-thing"), 404, "not_found")
    error = assert_error(api.get("/auth/otp/request"), 405, "method_not_allowed")
    assert error["message"]


def test_it_speaks_the_language_of_the_request(lan):
    english = lan.post("/people", {**CHILD, "is_admin": True}, headers={"Accept-Language": "en"})
    vietnamese = lan.post("/people", {**CHILD, "is_admin": True}, headers={"Accept-Language": "vi"})

    assert english.json()["error"]["message"] == "Some fields are not valid."
    assert english.json()["error"]["fields"]["is_admin"] == "Unknown field."
    assert english["Content-Language"] == "en"
    assert vietnamese["Content-Language"] == "vi"
    # Without a preference the API answers in Vietnamese, the default language.
    assert lan.post("/people", {**CHILD, "is_admin": True})["Content-Language"] == "vi"


def test_it_still_serves_the_openapi_schema(api):
    resp = api.get("/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/v1/auth/otp/request" in paths
    assert not any("{rest}" in p for p in paths)
