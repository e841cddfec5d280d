from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from khaibao.audit.models import AuditEvent
from khaibao.news.models import Announcement
from khaibao.news.tests.helpers import item, publish


def _refused(resp: Any, field: str, status: int = 400) -> None:
    assert resp.status_code == status, resp.content
    assert field in resp.json()["error"]["fields"], resp.json()
    assert not Announcement.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="news.").exists()


@pytest.mark.parametrize("title", [None, "", "   "])
def test_it_requires_a_title(world: Any, api: Any, title: str | None) -> None:
    body = item()
    if title is None:
        body.pop("title")
    else:
        body["title"] = title
    _refused(api.as_(world.national).post("/news", body), "title")


def test_it_limits_the_title_to_200_characters(world: Any, api: Any) -> None:
    _refused(api.as_(world.national).post("/news", item(title="a" * 201)), "title")
    assert publish(api, world.national, title="a" * 200)["title"] == "a" * 200


def test_it_limits_the_body_to_20000_characters(world: Any, api: Any) -> None:
    _refused(api.as_(world.national).post("/news", item(body="a" * 20_001)), "body")
    assert len(publish(api, world.national, body="a" * 20_000)["body"]) == 20_000


def test_it_requires_a_body_except_for_a_hotline(world: Any, api: Any) -> None:
    _refused(api.as_(world.national).post("/news", item(body="")), "body")
    out = publish(api, world.national, kind="hotline", title="Đường dây nóng", body="", phone="1900 9095")
    assert out["phone"] == "19009095"
    assert out["phone_display"] == "1900 9095"


def test_it_refuses_an_expiry_before_the_publish_time(world: Any, api: Any) -> None:
    start = timezone.now() + timedelta(hours=2)
    for expires in (start - timedelta(minutes=1), start):
        resp = api.as_(world.national).post(
            "/news", item(publish_at=start.isoformat(), expires_at=expires.isoformat())
        )
        _refused(resp, "expires_at")


def test_it_refuses_a_publish_time_in_the_past(world: Any, api: Any) -> None:
    past = timezone.now() - timedelta(days=1)
    _refused(api.as_(world.national).post("/news", item(publish_at=past.isoformat())), "publish_at")


def test_it_refuses_an_expiry_before_the_publish_time_on_edit(world: Any, api: Any) -> None:
    created = publish(api, world.national)
    past = timezone.now() - timedelta(days=1)
    resp = api.as_(world.national).patch(f"/news/{created['id']}", {"expires_at": past.isoformat()})
    assert resp.status_code == 400
    assert "expires_at" in resp.json()["error"]["fields"]
    assert Announcement.objects.get().expires_at is None


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"kind": "rumour"}, "kind"),
        ({"province": 999}, "province"),
        ({"province": "Hà Nội"}, "province"),
        ({"pinned": "maybe"}, "pinned"),
        ({"publish_at": "12/11/2025"}, "publish_at"),
        ({"colour": "red"}, "colour"),
        ({"title": ["x"]}, "title"),
        ({"title_en": "a" * 201}, "title_en"),
        ({"body_en": "text without a title"}, "title_en"),
        ({"phone": "19009095"}, "phone"),
    ],
)
def test_it_names_the_bad_field(world: Any, api: Any, fields: dict[str, Any], bad: str) -> None:
    _refused(api.as_(world.national).post("/news", item(**fields)), bad)


@pytest.mark.parametrize("phone", ["", "12345", "+1 650 253 0000", "1900", "0912abc678", "9" * 40])
def test_it_refuses_a_hotline_without_a_valid_vietnamese_number(world: Any, api: Any, phone: str) -> None:
    _refused(api.as_(world.national).post("/news", item(kind="hotline", phone=phone)), "phone")


@pytest.mark.parametrize(
    ("phone", "digits", "shown"),
    [
        ("1900 3228", "19003228", "1900 3228"),
        ("1800.1234", "18001234", "1800 1234"),
        ("115", "115", "115"),
        ("024 3825 3531", "02438253531", "024 3825 3531"),
        ("+84 912 345 678", "0912345678", "0912 345 678"),
    ],
)
def test_it_accepts_service_numbers_short_codes_and_landlines(
    world: Any, api: Any, phone: str, digits: str, shown: str
) -> None:
    out = publish(api, world.national, kind="hotline", phone=phone)
    assert (out["phone"], out["phone_display"]) == (digits, shown)


def test_it_refuses_bad_list_parameters(world: Any, api: Any) -> None:
    for query, field in [("province=999", "province"), ("province=x", "province"), ("limit=0", "limit"),
                         ("limit=101", "limit"), ("cursor=bm9wZQ", "cursor"), ("cursor=%%%", "cursor")]:
        resp = api.get(f"/news?{query}")
        assert resp.status_code == 400, query
        assert field in resp.json()["error"]["fields"], (query, resp.json())


def test_it_answers_404_for_unknown_and_huge_ids(world: Any, api: Any) -> None:
    assert api.get("/news/123456").status_code == 404
    assert api.get(f"/news/{2**70}").status_code == 404
    assert api.as_(world.national).patch(f"/news/{2**70}", {"title": "x"}).status_code == 404
