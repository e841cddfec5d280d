"""One rule fits a text into one SMS (accounts.sms.sms_fit): the title gives way first, then the end
of the body, at a word and marked "…"; the tail (link, keyword, instruction) is never cut."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.accounts.sms import sms_fit, sms_text

LINK = "https://khaibao.vn/people/42/"
ADVICE = "Hạn chế ra ngoài, đeo khẩu trang, rửa tay thường xuyên và gọi đường dây nóng nếu có triệu chứng. "


def test_it_returns_a_text_that_fits_whole_and_unaccented() -> None:
    text = sms_fit(title="Vùng dịch: Phường Hoàn Kiếm", body="Xem hướng dẫn trong ứng dụng.", tail=LINK)
    assert text == f"Vung dich: Phuong Hoan Kiem\nXem huong dan trong ung dung.\n{LINK}"


def test_it_takes_empty_parts_without_their_separators() -> None:
    assert sms_fit(title="Tiêu đề", body="", tail=LINK) == f"Tieu de\n{LINK}"
    assert sms_fit(body="Chỉ nội dung") == "Chi noi dung"
    assert sms_fit(title="A", body="B", tail="C", title_sep=": ", tail_sep=" ") == "A: B C"


def test_it_drops_the_title_before_shortening_the_body(settings: Any) -> None:
    body = "Nội dung vừa đủ chỗ"
    tail = "khaibao.vn/tv nhan XN"
    settings.SMS_MAX_CHARS = len(body) + 1 + len(tail)  # room for all but the title
    assert sms_fit(title="Nhắc nhở", body=body, tail=tail) == "Noi dung vua du cho\nkhaibao.vn/tv nhan XN"


def test_it_cuts_the_body_at_a_word_with_an_ellipsis_and_keeps_the_tail_whole(settings: Any) -> None:
    settings.SMS_MAX_CHARS = 60
    text = sms_fit(title="Vùng dịch", body="Phường Hoàn Kiếm là vùng dịch cấp 3. " + ADVICE, tail=LINK)
    assert text == f"Phuong Hoan Kiem la vung...\n{LINK}"
    assert len(text) <= 60


def test_it_leaves_no_dangling_punctuation_before_the_ellipsis(settings: Any) -> None:
    settings.SMS_MAX_CHARS = 22
    # The cut falls inside "khau": back to "ngoai," then the comma goes too.
    assert sms_fit(body="Han che ra ngoai, deo khau trang") == "Han che ra ngoai..."


def test_it_cuts_inside_a_single_word_longer_than_the_room(settings: Any) -> None:
    settings.SMS_MAX_CHARS = 10
    assert sms_fit(body="x" * 30) == "xxxxxxx..."


def test_it_drops_the_body_when_only_the_tail_fits(settings: Any) -> None:
    settings.SMS_MAX_CHARS = len(LINK) + 3
    assert sms_fit(title="Vùng dịch", body=ADVICE, tail=LINK) == LINK


def test_it_cuts_a_tail_longer_than_a_whole_sms(settings: Any) -> None:
    # No sender writes one; the limit still holds, since the budget counts one SMS.
    settings.SMS_MAX_CHARS = 20
    text = sms_fit(body="noi dung", tail="mot cau rat dai khong the vua mot tin nhan")
    assert text == "mot cau rat dai..."


def test_it_counts_characters_of_the_unaccented_text_as_sent(settings: Any) -> None:
    settings.SMS_MAX_CHARS = 20
    # 20 accented characters fit as they are: diacritics are stripped, not counted twice.
    assert sms_fit(body="Đường dây nóng 19009") == "Duong day nong 19009"
    # "…" is sent as "..." (sms_text): three characters, not one.
    assert len(sms_fit(body="Chú ý… " * 5)) <= 20


@pytest.mark.parametrize("repeat", [1, 3, 10, 60])
@pytest.mark.parametrize("title", ["", "Vùng dịch: Phường Hoàn Kiếm"])
def test_it_never_exceeds_the_limit_and_always_ends_with_the_tail(settings: Any, repeat: int, title: str) -> None:
    tail = "Mở Khai Báo để xem mức nguy cơ.\n" + LINK
    text = sms_fit(title=title, body=ADVICE * repeat, tail=tail)
    assert len(text) <= settings.SMS_MAX_CHARS == 320
    assert text.endswith(sms_text(tail))
    assert text == sms_text(text)
