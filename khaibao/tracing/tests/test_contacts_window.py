"""The contacts' empty state asks about the rule set's window, not a "14" written in the page
(review-seams finding 6, the tracing part)."""

from __future__ import annotations

import dataclasses
from unittest import mock

from django.test import Client

from khaibao.passes.tests.helpers import sign_in_staff
from khaibao.risk import engine
from khaibao.tracing.tests.helpers import make_f0


def test_it_asks_about_the_rule_sets_window(world, api):
    make_f0(world, api, world.lan_self)
    client = Client()
    sign_in_staff(client, world.ward_official)
    wider = dataclasses.replace(engine.current_rules(), window_days=21)
    with mock.patch.object(engine, "current_rules", return_value=wider):
        page = client.get(f"/staff/cases/{world.lan_self.id}/contacts/").content.decode()
    assert "đã gặp những ai trong 21 ngày qua" in page
    assert "14 ngày" not in page
