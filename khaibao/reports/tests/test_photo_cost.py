"""A report's photos cost the server only when the report may be accepted, and never more than a
bounded number of pixels (security review, finding 1)."""

from __future__ import annotations

import io
from typing import Any
from unittest import mock

import pytest
from PIL import Image, ImageFile

from khaibao.reports import photos as report_photos
from khaibao.reports.models import Report, ReportPhoto
from khaibao.reports.tests.helpers import report_body, submit_multipart, upload


def _png(size: tuple[int, int], mode: str = "1") -> bytes:
    # A one-bit image: huge in pixels, a few kilobytes on disk and cheap to make in the test.
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def _jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_it_asks_the_rate_limit_before_decoding_photos(world: Any, api: Any, settings: Any) -> None:
    settings.REPORT_RATE_PER_ACCOUNT = 0  # this citizen is already past the limit
    with mock.patch("khaibao.reports.services.photo_clean", wraps=report_photos.photo_clean) as spy:
        resp = submit_multipart(api.as_(world.lan), report_body(), [upload("a.png", _png((64, 64)), "image/png")])
    assert resp.status_code == 429
    assert spy.call_count == 0
    assert not Report.objects.exists()


@pytest.mark.parametrize("size", [(8001, 8), (7000, 6000)], ids=["side", "pixels"])
def test_it_refuses_a_photo_with_too_many_pixels_before_decoding_it(
    world: Any, api: Any, size: tuple[int, int]
) -> None:
    data = _png(size)
    assert len(data) < 1024 * 1024
    with mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded")) as load:
        resp = submit_multipart(api.as_(world.lan), report_body(), [upload("big.png", data, "image/png")])
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["fields"]["photos"] == "“big.png” có quá nhiều điểm ảnh. Vui lòng gửi ảnh nhỏ hơn."
    assert load.call_count == 0
    assert not Report.objects.exists()


def test_it_says_too_many_pixels_in_vietnamese_on_the_page(world: Any, client: Any) -> None:
    client.force_login(world.lan)
    data = {"category": "gathering", "province": world.hanoi.code, "ward_code": world.hoan_kiem.code,
            "address": "Số 5 phố Hàng Bài", "description": "Tụ tập đông người.",
            "happened_date": "01/01/2026", "happened_time": "08:00",
            "photos": [upload("lon.png", _png((9000, 9000)), "image/png")]}
    page = client.post("/reports/new/", data, HTTP_ACCEPT_LANGUAGE="vi")
    assert page.status_code == 400
    assert "“lon.png” có quá nhiều điểm ảnh. Vui lòng gửi ảnh nhỏ hơn." in page.content.decode()


def test_it_stores_a_large_photo_scaled_down(world: Any, api: Any) -> None:
    resp = submit_multipart(api.as_(world.lan), report_body(), [upload("wide.jpg", _jpeg((4000, 3000)), "image/jpeg")])
    assert resp.status_code == 201, resp.content
    photo = ReportPhoto.objects.get()
    side = report_photos.MAX_STORED_SIDE
    assert (photo.width, photo.height) == (side, side * 3 // 4)
    with Image.open(io.BytesIO(report_photos.photo_clean(
        name="wide.jpg", content_type="image/jpeg", data=_jpeg((4000, 3000))
    ).data)) as stored:
        assert stored.size == (side, side * 3 // 4)
