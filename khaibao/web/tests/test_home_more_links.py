"""The citizen home links every citizen page (review-browser finding 9): the venue poster's
"Khai Báo → Quét mã địa điểm", the check-ins, registering a venue, and the organisations."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from khaibao.accounts.phones import phone_index
from khaibao.orgs.models import Member, OrgUnit


def _home(client: Client, lang: str = "vi") -> str:
    resp = client.get("/", headers={"Accept-Language": lang})
    assert resp.status_code == 200
    return resp.content.decode()


def test_the_home_links_check_in_check_ins_and_venues(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    html = _home(client)
    for name in ("web:checkin", "web:checkins", "web:venue_new", "web:venues"):
        assert f'href="{reverse(name)}"' in html, name
    # The poster's words, so that someone reading it finds the link.
    assert f'<a href="{reverse("web:checkin")}">Quét mã địa điểm</a>' in html
    assert "Đăng ký địa điểm" in html
    assert f'href="{reverse("web:memberships")}"' not in html  # on no roster


def test_the_links_are_for_signed_in_citizens_only(world: Any, client: Client) -> None:
    assert f'href="{reverse("web:checkin")}"' not in _home(client)


def test_the_home_links_the_organisations_once_answered(world: Any, client: Client) -> None:
    unit = OrgUnit.objects.create(code="T1", name="Đoàn cơ sở phường Hoàn Kiếm", path="T1")
    Member.objects.create(
        unit=unit, full_name="Nguyễn Thị Lan", phone="+84900000001", phone_index=phone_index("+84900000001"),
        account=world.lan, linked_at=timezone.now(), confirmed_at=timezone.now(),
    )
    client.force_login(world.lan)
    html = _home(client)
    assert 'data-testid="pending-memberships"' not in html  # nothing to answer any more
    assert f'<a href="{reverse("web:memberships")}">Tổ chức của bạn</a>' in html
