"""An invited sub-admin sets their password in a real browser (review: the page sent
`Referrer-Policy: no-referrer`, under which Chromium posts the form with `Origin: null`, and
Django's CSRF origin check refused every attempt; the test client sends no Origin, so the old tests
passed). The link's token now moves into the session and the form's page is the same address with a
placeholder, so it keeps the site's `same-origin` policy and the browser sends its real origin."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from khaibao.accounts.models import Account
from khaibao.orgs.models import OrgUnit

ORIGIN = "http://testserver"
GOOD = "Mật-khẩu-rất-dài-2026"


def invite_link(world: Any, username: str = "hk-admin") -> str:
    """The one-time set-password path the console shows an org admin who invites a sub-admin."""
    admin = Client()
    admin.force_login(world.org_admin)
    unit = OrgUnit.objects.get(path="TWD/HN/DCS-HK")
    resp = admin.post(f"/staff/orgs/{unit.pk}/do/invite/", {"username": username, "display_name": "Bí thư HK"})
    assert resp.status_code == 200
    link = re.search(r'value="http://testserver(/staff/set-password/[^"]+)"', resp.content.decode())
    assert link, resp.content
    return link.group(1)


def _csrf(resp: Any) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', resp.content.decode())
    assert found, resp.content
    return found.group(1)


def test_it_moves_the_token_out_of_the_address_of_the_form(world: Any) -> None:
    link = invite_link(world)
    uid, token = link.rstrip("/").split("/")[-2:]
    browser = Client(enforce_csrf_checks=True)
    resp = browser.get(link)
    assert resp.status_code == 302
    form_path = resp["Location"]
    assert form_path == f"/staff/set-password/{uid}/set/"
    assert token not in form_path
    page = browser.get(form_path)
    assert page.status_code == 200
    assert token not in page.content.decode()
    # The site's own policy, not "no-referrer": under that one Chromium sends `Origin: null`.
    assert page["Referrer-Policy"] == "same-origin"


def test_it_sets_the_password_through_csrf_with_the_browsers_origin(world: Any) -> None:
    link = invite_link(world)
    browser = Client(enforce_csrf_checks=True)
    form_path = browser.get(link)["Location"]
    token = _csrf(browser.get(form_path))
    form = {"csrfmiddlewaretoken": token, "new_password1": GOOD, "new_password2": GOOD}
    # What Chromium sent under `no-referrer`: refused by Django's origin check, whatever the page.
    assert browser.post(form_path, form, HTTP_ORIGIN="null").status_code == 403
    weak = browser.post(form_path, {**form, "new_password1": "123", "new_password2": "123"}, HTTP_ORIGIN=ORIGIN)
    assert weak.status_code == 400
    done = browser.post(form_path, form, HTTP_ORIGIN=ORIGIN)
    assert done.status_code == 302
    assert done["Location"] == "/staff/sign-in/"
    assert Account.objects.get(username="hk-admin").check_password(GOOD)
    # Once set, neither the placeholder address nor the link opens the form again.
    assert browser.get(form_path).status_code == 404
    assert browser.get(link).status_code == 404


def test_it_opens_no_form_at_the_placeholder_without_the_link(world: Any) -> None:
    link = invite_link(world)
    uid = link.rstrip("/").split("/")[-2]
    assert Client().get(f"/staff/set-password/{uid}/set/").status_code == 404
    # Someone else's session holds another account's token: it does not open this account's form.
    other = Client()
    other_link = invite_link(world, username="bd-admin")
    other.get(other_link)
    assert other.get(f"/staff/set-password/{uid}/set/").status_code == 404
