"""Issue 7 end to end in a browser: an organisation admin starts a campaign and imports a roster,
a member signs in with their phone, confirms the membership and declares, and after the rollup
job the unit's declared percentage on the compliance page goes up."""

from __future__ import annotations

import csv
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from khaibao.orgs.tasks import compliance_refresh
from khaibao.web.tests.browser.flows import citizen_sign_in, staff_sign_in

pytestmark = pytest.mark.browser

UNIT_NAME = "Đoàn cơ sở phường Hoàn Kiếm"  # TWD/HN/DCS-HK in the demo world, 3 roster lines
MEMBER_NAME = "Trần Văn Bảy"
PHONE, E164 = "0900000077", "+84900000077"  # no account, person or roster line has it yet


def _declared(admin: Any) -> tuple[int, float]:
    numbers = admin.locator("[data-testid=unit-declared]")
    return int(numbers.get_attribute("data-declared")), float(numbers.get_attribute("data-pct"))


def _add_self(page: Any) -> None:
    """A new account has no one in its household yet: the member adds themselves."""
    page.goto("/household/add/")
    page.select_option("select[name=relation]", "self")
    page.fill("input[name=full_name]", MEMBER_NAME)
    page.fill("input[name=date_of_birth]", "1990-03-15")
    page.check("input[name=sex][value=male]")
    page.fill("input[name=id_number]", "001090000077")
    page.select_option("select[name=province]", "1")
    expect(page.locator("select[name=ward_code] option[value='70']")).to_have_count(1)
    page.select_option("select[name=ward_code]", "70")
    page.click("form button.button[type=submit]:not(.visually-hidden)")
    page.wait_for_url("**/household/")


def _confirm_membership(page: Any) -> None:
    page.goto("/memberships/")
    page.click("a[href$='/confirm/']")
    page.wait_for_url("**/confirm/")
    page.click("form button.danger[type=submit]")
    page.wait_for_url("**/memberships/")
    expect(page.locator("a[href$='/confirm/']")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(UNIT_NAME)


@pytest.mark.parametrize(
    "confirm_first",
    [
        pytest.param(False, id="self-then-confirm"),
        # The order the home page suggests (the membership prompt sits above "Add yourself"):
        # adding oneself afterwards attaches the roster line to the new person
        # (khaibao.orgs.members.members_attach_self).
        pytest.param(True, id="confirm-then-self"),
    ],
)
def test_it_raises_the_units_declared_percentage_once_an_imported_member_declares(
    page: Any, new_page: Any, world: Any, sms: Any, tmp_path: Path, confirm_first: bool
) -> None:
    today = timezone.localdate()
    admin = new_page(viewport={"width": 1280, "height": 900})
    staff_sign_in(admin, username="demo-org")  # organisation admins have no second factor

    # The unit's page, then its compliance page: no campaign covers the unit yet.
    admin.goto("/staff/orgs/")
    admin.click(f".org-tree a:has-text('{UNIT_NAME}')")
    admin.wait_for_url(re.compile(r"/staff/orgs/\d+/$"))
    unit_path = urlparse(admin.url).path
    unit_id = int(unit_path.rstrip("/").rsplit("/", 1)[1])
    admin.goto(f"/staff/compliance/{unit_id}/")
    expect(admin.locator("[data-testid=unit-declared]")).to_have_count(0)

    # A campaign for the unit, from today.
    admin.goto(unit_path)
    admin.click(f"a[href='/staff/orgs/{unit_id}/campaigns/new/']")
    admin.fill("input[name=name]", "Khai báo y tế toàn đoàn")
    admin.fill("input[name=starts_on]", today.isoformat())
    admin.fill("input[name=deadline]", (today + timedelta(days=14)).isoformat())
    admin.click("form button.button[type=submit]")
    admin.wait_for_url(f"**{unit_path}")
    expect(admin.locator("main")).to_contain_text("Khai báo y tế toàn đoàn")

    # The roster file: one new member of this unit (empty unit column = this unit).
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([
            ["Họ và tên", "Số điện thoại", "Đơn vị", "Vai trò"],
            [MEMBER_NAME, PHONE, "", "đoàn viên"],
        ])
    admin.click(f"a[href='/staff/orgs/{unit_id}/import/']")
    admin.set_input_files("input[name=file]", str(roster))
    admin.click("form[enctype='multipart/form-data'] button[type=submit]")
    expect(admin.locator(".import-result dd.created")).to_have_text("1")
    expect(admin.locator(".import-result dd.errors-count")).to_have_text("0")

    compliance_refresh.call()
    admin.goto(f"/staff/compliance/{unit_id}/")
    before_count, before_pct = _declared(admin)

    # The member signs in with the phone on the roster and is asked to confirm.
    citizen_sign_in(page, sms, phone=PHONE, e164=E164)
    page.goto("/")
    page.click("a[href='/memberships/']")
    page.wait_for_url("**/memberships/")
    expect(page.locator("main")).to_contain_text(UNIT_NAME)

    # They add themselves to the household and confirm the membership, in either order.
    if confirm_first:
        _confirm_membership(page)
        _add_self(page)
    else:
        _add_self(page)
        _confirm_membership(page)

    # Then they declare for themselves: no travel, no symptom, no exposure.
    page.goto("/household/")
    page.click(f"a:has-text('{MEMBER_NAME}')")
    page.wait_for_url(re.compile(r"/people/\d+/$"))
    person_path = urlparse(page.url).path
    page.click(f"a[href='{person_path}declare/']")
    page.wait_for_url("**/declare/")
    page.check("input[name=commitment]")
    page.check("input[name=consent]")
    page.click("form button.button[type=submit]")
    page.wait_for_url(f"**{person_path}")
    expect(page.locator("#assessment")).to_be_visible()

    # The dashboard reads the rollups: nothing moves until the job has run.
    admin.reload()
    assert _declared(admin) == (before_count, before_pct)

    compliance_refresh.call()
    admin.reload()
    after_count, after_pct = _declared(admin)
    assert after_count == before_count + 1
    assert after_pct > before_pct
