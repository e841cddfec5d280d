"""The home page on the smallest phone we support, and without JavaScript."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

NO_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def test_it_fits_the_home_page_in_320_pixels(page: Any, world: Any) -> None:
    page.goto("/")

    assert page.viewport_size["width"] == 320
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.evaluate(NO_SCROLL)


def test_it_fits_the_sign_in_pages_in_320_pixels(page: Any, world: Any) -> None:
    for path in ("/sign-in/", "/staff/sign-in/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path


def test_it_signs_in_without_javascript(new_page: Any, world: Any, sms: Any) -> None:
    page = new_page(javascript=False)
    page.goto("/")
    page.click("a[href$='/sign-in/']")
    page.wait_for_url("**/sign-in/")

    page.fill("input[name=phone]", "0900000002")
    page.click("form:has(input[name=phone]) button[type=submit]")
    page.wait_for_url("**/sign-in/code/")
    page.fill("input[name=code]", sms.last_code("+84900000002"))
    page.click("form:has(input[name=code]) button[type=submit]")
    page.wait_for_url(lambda url: "/sign-in" not in url)

    assert urlparse(page.url).path == "/"
    assert page.get_attribute("html", "lang") == "vi"
    assert page.locator("form[action$='/sign-out/']").count() >= 1
