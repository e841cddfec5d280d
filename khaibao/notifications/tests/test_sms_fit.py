"""A notification's SMS fits in SMS_MAX_CHARS without losing its link (accounts.sms.sms_fit,
channels._sms_parts): an official's long advice gives way, the link and what to do stay."""

from __future__ import annotations

from typing import Any

from khaibao.accounts.sms import sms_text
from khaibao.declarations.tests.helpers import ago
from khaibao.notifications.models import Delivery
from khaibao.notifications.services import notify_account
from khaibao.notifications.tests.helpers import run_worker
from khaibao.zones.tasks import zone_warnings_run
from khaibao.zones.tests.helpers import zone_body
from khaibao.zones.tests.test_warnings import HOAN_KIEM, declare_zone, run_of, travel

MAI_PHONE = "+84900000002"
# About 300 characters of an official's advice, in the middle of the warning's body.
LONG_ADVICE = (
    "Người dân hạn chế ra khỏi nhà, chỉ ra ngoài khi thật cần thiết như mua lương thực, thực phẩm "
    "hoặc cấp cứu; đeo khẩu trang, giữ khoảng cách 2 mét, rửa tay thường xuyên; không tụ "
    "tập quá 2 người ở nơi công cộng; theo dõi sức khỏe hằng ngày và báo ngay cho trạm y tế phường "
    "nếu có sốt, ho, khó thở hoặc mất vị giác."
)


def test_a_zone_warning_sms_to_a_traveller_keeps_the_link_and_what_to_do(
    world: Any, api: Any, sms: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert 280 <= len(LONG_ADVICE) <= 320
    # Mai (SMS on, no e-mail, no push) travelled to Hoàn Kiếm, which becomes an epidemic zone.
    travel(api, world.mai, world.mai_self, ward=HOAN_KIEM, start=4, end=3)
    zone = declare_zone(api, world, valid_from=ago(5), advice={"vi": LONG_ADVICE, "en": ""})
    with django_capture_on_commit_callbacks(execute=True):
        zone_warnings_run.call(run_of(zone).pk)
    run_worker()

    (text,) = [m["body"] for m in sms.messages() if m["to"] == MAI_PHONE]
    assert len(text) <= settings.SMS_MAX_CHARS
    assert text.endswith(f"\n{settings.PUBLIC_BASE_URL}/people/{world.mai_self.id}/")
    # A traveller's message names neither the zone, its advice nor the travel (zones.warnings,
    # `_reassessed_message`): it fits whole, title and all.
    assert text == (
        "Canh bao: mot vung dich\nMot vung dich co the lien quan den ban hoac nguoi ban cham soc. "
        f"Hay mo Khai Bao de xem muc nguy co va viec can lam.\n{settings.PUBLIC_BASE_URL}/people/{world.mai_self.id}/"
    )
    delivery = Delivery.objects.get(notification__account=world.mai, channel="sms")
    assert delivery.status == "sent"


def test_a_resident_warning_with_long_advice_still_ends_with_its_link(
    world: Any, api: Any, sms: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Advice of a single long sentence, no closing instruction: the link alone is kept.
    advice = "Hạn chế ra ngoài " + "và giữ khoảng cách " * 40
    resp = api.as_(world.province).post("/zones", zone_body(advice={"vi": advice, "en": ""}))
    assert resp.status_code == 201, resp.content
    with django_capture_on_commit_callbacks(execute=True):
        zone_warnings_run.call(run_of(resp.json()).pk)
    run_worker()

    (text,) = [m["body"] for m in sms.messages() if m["to"] == "+84900000001"]  # Lan, a resident
    assert len(text) <= settings.SMS_MAX_CHARS
    assert text.endswith(f"...\n{settings.PUBLIC_BASE_URL}/zones/#zone-{resp.json()['zone_id']}")


def test_a_last_sentence_too_long_to_keep_gives_way_to_the_link(
    world: Any, sms: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = "Phường Hoàn Kiếm là vùng dịch. " + "Hạn chế ra ngoài và giữ khoảng cách " * 10
    with django_capture_on_commit_callbacks(execute=True):
        notify_account(account=world.lan, kind="zone_warning", title="Vùng dịch", body=body, link="/zones/", sms=True)
    run_worker()

    (message,) = sms.messages()
    assert len(message["body"]) <= settings.SMS_MAX_CHARS
    assert message["body"].startswith(sms_text(body)[:100])
    assert message["body"].endswith(f"...\n{settings.PUBLIC_BASE_URL}/zones/")
