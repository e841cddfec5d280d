"""Issue 17: a landline is refused as a landline ("enter a mobile number"), not as "not a
Vietnamese number" — every stored phone must take an SMS."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from khaibao.accounts.phones import normalise_vn_phone


@pytest.mark.parametrize("landline", ["024 3825 3531", "028.3822.1234", "+84 236 382 2222", "0243825353"])
def test_it_asks_for_a_mobile_instead_of_a_landline(landline: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_vn_phone(landline)
    assert caught.value.code == "landline"


@pytest.mark.parametrize("mobile", ["0912345678", "0868 123 456", "+84701234567", "84312345678"])
def test_it_accepts_mobiles(mobile: str) -> None:
    assert normalise_vn_phone(mobile).startswith("+84")


def test_it_says_so_on_the_sign_in_page(db: None) -> None:
    page = Client().post("/sign-in/", {"phone": "024 3825 3531"})
    assert page.status_code in (200, 400)
    html = page.content.decode()
    assert "Đây là số máy bàn. Hãy nhập số điện thoại di động" in html
    assert "không phải là số điện thoại Việt Nam hợp lệ" not in html
