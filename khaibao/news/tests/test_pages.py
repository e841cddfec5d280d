from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.news.models import Announcement
from khaibao.news.tests.helpers import publish, sign_in_staff


@pytest.fixture
def news(world: Any, api: Any) -> dict[str, Any]:
    return {
        "country": publish(api, world.national, title="Tin toàn quốc"),
        "hanoi": publish(api, world.province, title="Tin Hà Nội", province=world.hanoi.pk),
        "hcm": publish(api, world.province_hcm, title="Tin TP.HCM", province=world.hcmc.pk),
    }


def test_it_shows_the_citizens_province_feed_on_the_home_page(world: Any, news: Any, client: Client) -> None:
    client.force_login(world.lan)
    html = client.get("/").content.decode()
    assert "Tin toàn quốc" in html
    assert "Tin Hà Nội" in html
    assert "Tin TP.HCM" not in html
    client.force_login(world.hung)
    html = client.get("/").content.decode()
    assert "Tin TP.HCM" in html
    assert "Tin Hà Nội" not in html


def test_it_shows_whole_country_items_to_visitors(world: Any, news: Any, client: Client) -> None:
    html = client.get("/").content.decode()
    assert "Tin toàn quốc" in html
    assert "Tin Hà Nội" not in html
    assert "Tin TP.HCM" not in html


def test_it_filters_the_news_page_by_province(world: Any, news: Any, client: Client) -> None:
    html = client.get(f"/news/?province={world.hcmc.pk}").content.decode()
    assert "Tin TP.HCM" in html
    assert "Tin toàn quốc" in html
    assert "Tin Hà Nội" not in html
    assert client.get("/news/?province=999").status_code == 400


def test_it_shows_one_item_and_hides_withdrawn_ones(world: Any, news: Any, api: Any, client: Client) -> None:
    resp = client.get(f"/news/{news['hanoi']['id']}/")
    assert resp.status_code == 200
    assert "<strong>đeo khẩu trang</strong>" in resp.content.decode()
    api.as_(world.province).post(f"/news/{news['hanoi']['id']}/unpublish")
    assert client.get(f"/news/{news['hanoi']['id']}/").status_code == 404


def test_it_links_the_console_page_for_publishers_only(world: Any, client: Client) -> None:
    sign_in_staff(client, world.province)
    assert "/staff/news/" in client.get("/staff/").content.decode()
    sign_in_staff(client, world.ward_official)
    assert "/staff/news/" not in client.get("/staff/").content.decode()


@pytest.mark.parametrize("who", ["ward_official", "checkpoint", "org_admin"])
def test_it_refuses_the_console_pages_to_non_publishers(world: Any, client: Client, who: str) -> None:
    sign_in_staff(client, getattr(world, who))
    assert client.get("/staff/news/").status_code == 403
    assert client.post("/staff/news/new/", {"kind": "announcement", "title": "x", "body": "y"}).status_code == 403
    assert not Announcement.objects.exists()


def test_it_lets_a_province_official_publish_edit_and_unpublish_from_the_console(
    world: Any, client: Client
) -> None:
    sign_in_staff(client, world.province)
    form = client.get("/staff/news/new/").content.decode()
    assert world.hanoi.name in form
    assert world.hcmc.name not in form
    resp = client.post(
        "/staff/news/new/",
        {"kind": "recommendation", "province": str(world.hanoi.pk), "title": "Khuyến cáo", "body": "Ở nhà"},
    )
    assert resp.status_code == 302
    item = Announcement.objects.get()
    assert item.province_id == world.hanoi.pk
    assert "Khuyến cáo" in client.get("/staff/news/").content.decode()

    # An untouched publish time is not "changed into the past".
    edit = client.get(f"/staff/news/{item.pk}/edit/")
    assert edit.status_code == 200
    resp = client.post(
        f"/staff/news/{item.pk}/edit/",
        {
            "kind": "recommendation", "province": str(world.hanoi.pk), "title": "Khuyến cáo mới", "body": "Ở nhà",
            "publish_at": timezone.localtime(item.publish_at).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert resp.status_code == 302, resp.content.decode()
    item.refresh_from_db()
    assert item.title == "Khuyến cáo mới"

    confirm = client.get(f"/staff/news/{item.pk}/unpublish/")
    assert confirm.status_code == 200
    assert Announcement.objects.get().expires_at is None
    assert client.post(f"/staff/news/{item.pk}/unpublish/", {"confirmed": "1"}).status_code == 302
    item.refresh_from_db()
    assert item.expires_at is not None
    assert item.expires_at <= timezone.now()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="news.").order_by("id")] == [
        "news.create", "news.update", "news.unpublish",
    ]


def test_it_unpublishes_only_from_the_confirmation_page(world: Any, news: Any, client: Client) -> None:
    """Unpublishing withdraws an item from every citizen at once: a bare POST (an old page, a
    script) is answered with the shared confirmation page and changes nothing."""
    sign_in_staff(client, world.province)
    item = Announcement.objects.get(pk=news["hanoi"]["id"])
    url = f"/staff/news/{item.pk}/unpublish/"
    listing = client.get("/staff/news/").content.decode()
    assert f'href="{url}"' in listing
    assert f'action="{url}"' not in listing
    bare = client.post(url, headers={"Accept-Language": "en"})
    assert bare.status_code == 200
    text = bare.content.decode()
    assert f"Unpublish Tin Hà Nội ({world.hanoi.name})?" in text
    assert "Citizens will no longer see it." in text
    assert 'name="confirmed" value="1"' in text
    assert 'href="/staff/news/">Cancel</a>' in text
    item.refresh_from_db()
    assert item.expires_at is None
    assert not AuditEvent.objects.filter(action="news.unpublish").exists()
    assert client.post(url, {"confirmed": "1"}).status_code == 302
    item.refresh_from_db()
    assert item.expires_at is not None
    assert item.expires_at <= timezone.now()
    assert AuditEvent.objects.filter(action="news.unpublish", actor=world.province).count() == 1
    again = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    assert "This item is already expired or unpublished." in again
    assert 'name="confirmed"' not in again


def test_it_keeps_the_form_and_shows_field_errors(world: Any, client: Client) -> None:
    sign_in_staff(client, world.national)
    later = timezone.localtime() + timedelta(days=1)
    resp = client.post(
        "/staff/news/new/",
        {
            "kind": "announcement", "province": "", "title": "Tiêu đề giữ lại", "body": "x",
            "publish_at": later.strftime("%Y-%m-%dT%H:%M"), "expires_at": later.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "field-error" in html
    assert "Tiêu đề giữ lại" in html
    assert not Announcement.objects.exists()


def test_it_hides_other_provinces_items_in_the_console(world: Any, news: Any, client: Client) -> None:
    sign_in_staff(client, world.province_hcm)
    html = client.get("/staff/news/").content.decode()
    assert "Tin TP.HCM" in html
    assert "Tin Hà Nội" not in html
    assert "Tin toàn quốc" not in html
    assert client.get(f"/staff/news/{news['hanoi']['id']}/edit/").status_code == 404
    assert client.post(f"/staff/news/{news['country']['id']}/unpublish/", {"confirmed": "1"}).status_code == 404


def test_it_previews_sanitised_markdown(world: Any, client: Client) -> None:
    sign_in_staff(client, world.national)
    resp = client.post("/staff/news/preview/", {"body": "**a** <script>alert(1)</script>"})
    assert resp.status_code == 200
    assert resp.content.decode().strip() == "<p><strong>a</strong> </p>"
    assert not Announcement.objects.exists()
