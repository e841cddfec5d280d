"""A report page that comes back with an error says that the photos chosen were not sent: a
browser never refills a file input, so a citizen who fixed the date and sent again got a report
without them, and nothing said so (browser review, finding 5). The date starts at today, so the
most common error does not happen; the optional time says it is optional."""

from __future__ import annotations

import html
from typing import Any

from django.conf import settings
from django.test import Client
from django.utils import timezone

from khaibao.reports.models import Report
from khaibao.reports.tests.helpers import jpeg_bytes, upload


def _form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "suspected_case", "province": 1, "ward_code": 70, "address": "Ngõ 3 Hàng Bạc",
        "description": "Hàng xóm sốt cao, ho nhiều, không đi khám.", "happened_date": "", "happened_time": "",
    }
    data.update(overrides)
    return data


def _text(resp: Any) -> str:
    return html.unescape(resp.content.decode())


def test_it_says_the_photo_was_not_sent_when_the_date_is_missing(world: Any, client: Client) -> None:
    client.force_login(world.lan)

    resp = client.post("/reports/new/", _form(photos=[upload("a.jpg", jpeg_bytes(), "image/jpeg")]))

    assert resp.status_code == 400
    text = _text(resp)
    assert 'id="photos-not-sent"' in text
    assert "1 ảnh bạn đã chọn chưa được gửi. Hãy chọn lại ảnh trước khi gửi phản ánh." in text
    # Beside the photos field, not somewhere else on the page.
    assert text.index('name="photos"') < text.index('id="photos-not-sent"') < text.index("pow")
    assert 'aria-describedby="id_photos_helptext photos-not-sent"' in text
    assert not Report.objects.exists()


def test_it_counts_the_photos_not_sent_in_english(world: Any, client: Client) -> None:
    client.force_login(world.lan)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    photos = [upload("a.jpg", jpeg_bytes(), "image/jpeg"), upload("b.jpg", jpeg_bytes(), "image/jpeg")]

    resp = client.post("/reports/new/", _form(photos=photos))

    assert resp.status_code == 400
    assert "The 2 photos you chose were not sent. Choose them again before you send the report." in _text(resp)


def test_it_says_nothing_of_photos_when_none_were_chosen(world: Any, client: Client) -> None:
    client.force_login(world.lan)

    resp = client.post("/reports/new/", _form())

    assert resp.status_code == 400
    assert 'id="photos-not-sent"' not in _text(resp)


def test_it_starts_the_date_at_today_and_marks_the_time_optional(world: Any, client: Client) -> None:
    client.force_login(world.lan)

    text = _text(client.get("/reports/new/"))

    assert f'name="happened_date" value="{timezone.localdate().isoformat()}"' in text
    assert "Khoảng mấy giờ (không bắt buộc)" in text
    assert 'id="photos-not-sent"' not in text
