"""Security headers on pages and API answers (docs/security.md, issue 8 Build 6)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from khaibao.core.tests.test_settings import production_env, run

PUBLIC_PAGES = ["/", "/sign-in/", "/zones/", "/news/", "/reports/track/", "/staff/sign-in/"]


def signed_in(account):
    client = Client()
    client.force_login(account)
    return client


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_it_sends_a_strict_content_security_policy_on_public_pages(db, path):
    resp = Client().get(path)

    assert resp.status_code == 200
    csp = directives(resp)
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert "unsafe-inline" not in resp["Content-Security-Policy"]
    assert "unsafe-eval" not in resp["Content-Security-Policy"]


def test_it_sends_the_policy_on_signed_in_pages_and_api_answers(world, api):
    page = signed_in(world.lan).get("/household/")
    answer = api.as_(world.lan).get("/api/v1/me")

    for resp in (page, answer):
        assert resp.status_code == 200
        assert directives(resp)["frame-ancestors"] == ["'none'"]
        assert "unsafe-inline" not in resp["Content-Security-Policy"]


def test_it_forbids_framing_sniffing_and_cross_origin_referrers(db):
    resp = Client().get("/")

    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Referrer-Policy"] == "same-origin"


def test_it_allows_location_and_camera_for_the_site_only(db):
    resp = Client().get("/zones/")

    features = dict(item.strip().split("=", 1) for item in resp["Permissions-Policy"].split(","))
    assert features["geolocation"] == "(self)"
    assert features["camera"] == "(self)"
    assert features["microphone"] == "()"


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("lan", "/household/"),
        ("lan", "/notifications/"),
        ("lan", "/reports/"),
        ("ward_official", "/staff/"),
        ("org_admin", "/staff/compliance/"),
    ],
)
def test_it_keeps_signed_in_pages_out_of_every_cache(world, who, path):
    resp = signed_in(getattr(world, who)).get(path, follow=True)

    assert resp.status_code == 200
    assert "no-store" in resp["Cache-Control"]
    assert "private" in resp["Cache-Control"]


def test_it_keeps_api_answers_out_of_every_cache(world, api):
    signed = api.as_(world.lan).get("/api/v1/me")
    refused = Client().post("/api/v1/auth/otp/verify", data=json.dumps({}), content_type="application/json")

    assert "no-store" in signed["Cache-Control"]
    assert refused.status_code == 400
    assert "no-store" in refused["Cache-Control"]


def test_it_lets_anonymous_public_pages_be_cached(db):
    resp = Client().get("/news/")

    assert "no-store" not in resp.get("Cache-Control", "")


def test_it_keeps_the_cache_choice_of_public_data(db):
    resp = Client().get("/api/v1/zones")

    assert resp.status_code == 200
    assert resp["Cache-Control"] == "public, max-age=60"


def test_it_sends_hsts_in_production(tmp_path):
    probe = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/api/v1/openapi.json', secure=True, HTTP_HOST='khaibao.example.vn')\n"
        "print(r.status_code, r['Strict-Transport-Security'])\n"
    )
    result = run(["-c", probe], production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    status, hsts = result.stdout.strip().split(" ", 1)
    assert status == "200"
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
