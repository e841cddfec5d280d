"""Issue 8 end to end in a browser: a citizen reads what they consented to, downloads their
data, withdraws consent for a family member (confirmation page, SMS code) and finally erases
themselves, which closes the account and signs them out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from khaibao.people.models import Person
from khaibao.privacy.models import Erasure
from khaibao.privacy.tasks import retention_purge
from khaibao.web.tests.browser.flows import citizen_sign_in

pytestmark = pytest.mark.browser

NO_SCROLL = "document.documentElement.scrollWidth <= 320"
LAN = "+84900000001"


def test_it_withdraws_consent_then_erases_the_account(page: Any, world: Any, sms: Any) -> None:
    citizen_sign_in(page, sms, phone="0900000001", e164=LAN)

    page.goto("/household/")
    page.click("a[href='/my-data/']")
    page.wait_for_url("**/my-data/")
    assert page.evaluate(NO_SCROLL)
    assert page.locator(".card").first.inner_text().strip()

    with page.expect_download() as download:
        page.click("a[href='/my-data/export.json']")
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert {p["full_name"] for p in data["people"]} == {"Nguyễn Thị Lan", "Trần Minh An", "Nguyễn Văn Bình"}

    # Withdraw consent for the child: choose, read the confirmation, ask for the code, type it.
    page.check("input[name=reason][value=consent_withdrawn]")
    page.check(f"input[name=person_ids][value='{world.lan_child.id}']")
    page.click("form[action='/my-data/erase/'] button[type=submit]")
    page.wait_for_url("**/my-data/erase/?*")
    assert page.evaluate(NO_SCROLL)
    assert "Trần Minh An" in page.inner_text("main")
    page.click("form[action='/my-data/erase/'][method=post] button.danger")
    page.wait_for_url("**/my-data/erase/*/")
    page.fill("input[name=code]", sms.last_code(LAN))
    page.click("form button.danger[type=submit]")
    page.wait_for_url("**/my-data/")
    assert Erasure.objects.filter(person_id=world.lan_child.id).exists()
    assert "Trần Minh An" not in page.inner_text("form[action='/my-data/erase/']")

    # Erase oneself: the whole household goes and the account closes.
    page.check("input[name=reason][value=request]")
    page.check(f"input[name=person_ids][value='{world.lan_self.id}']")
    page.click("form[action='/my-data/erase/'] button[type=submit]")
    page.wait_for_url("**/my-data/erase/?*")
    assert page.locator(".warning").count() == 1
    page.click("form[action='/my-data/erase/'][method=post] button.danger")
    page.wait_for_url("**/my-data/erase/*/")
    page.fill("input[name=code]", sms.last_code(LAN))
    page.click("form button.danger[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path == "/")
    page.goto("/my-data/")
    assert "/sign-in/" in page.url
    # The erasures run on the worker.
    assert Erasure.objects.filter(status="pending").count() == 3
    retention_purge.call()
    assert not Person.objects.filter(full_name__in=["Nguyễn Thị Lan", "Trần Minh An", "Nguyễn Văn Bình"]).exists()
