"""A reply too long for one SMS is shortened by the one rule (accounts.sms.sms_fit): at a word,
ending "..." (the "…" every SMS writes so), never past SMS_MAX_CHARS."""

from __future__ import annotations

from typing import Any

from khaibao.orgs.models import OrgUnit
from khaibao.orgs.tests.helpers import csv_file, upload
from khaibao.smsin.models import InboundSms
from khaibao.smsin.tests.helpers import REGISTER, Gateway

WORD = "Thanhnien"


def test_a_reply_too_long_ends_at_a_whole_word(world: Any, gateway: Gateway, api: Any, settings: Any) -> None:
    # The registration reply names the units that list the phone: a 200-character name overflows.
    twd = OrgUnit.objects.get(path="TWD")
    twd.name = " ".join([WORD] * 20)
    twd.save()
    resp = upload(api.as_(world.org_admin), twd.pk, csv_file([["Nguyễn Văn An", "0911 000 001", "", ""]]))
    assert resp.status_code == 200, resp.content

    reply = gateway.reply(REGISTER)

    assert len(reply) <= settings.SMS_MAX_CHARS
    assert reply.endswith(f" {WORD}...")
    assert reply.startswith("Khai Bao")
    assert InboundSms.objects.get(outcome="registered").reply == reply
