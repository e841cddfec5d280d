"""The webhook's received_at outside core.params' date range is a 400 naming the field: year 1 or
9999 overflowed once moved to Vietnam's day (a 500 the gateway retries for ever)."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.monitoring.models import DailyUpdate
from khaibao.smsin.models import InboundSms
from khaibao.smsin.tests.helpers import Gateway

LAN = "0900000001"  # a registered citizen of the demo world: a daily update is counted for her


@pytest.mark.parametrize(
    "received_at",
    ["9999-12-31T23:59:59-07:00", "0001-01-01T00:00:00+07:00", "0001-01-01T00:00:00", "1899-12-31T23:00:00+07:00"],
)
def test_it_refuses_a_received_at_out_of_range_as_a_field_error(world: Any, gateway: Gateway, received_at: str) -> None:
    gateway.client.raise_request_exception = False
    for _attempt in range(2):  # the gateway's redelivery gets the same answer, never a 500
        resp = gateway.post("SOT HO", sender=LAN, message_id="gw-range", received_at=received_at, worker=False)
        assert resp.status_code == 400, resp.content
        error = resp.json()["error"]
        assert error["code"] == "invalid"
        assert set(error["fields"]) == {"received_at"}
        assert "1900-01-01" in error["fields"]["received_at"]
    assert not InboundSms.objects.exists()
    assert not DailyUpdate.objects.exists()


def test_it_still_counts_a_received_at_in_range(world: Any, gateway: Gateway) -> None:
    resp = gateway.post("SOT HO", sender=LAN, received_at="2026-03-01T08:30:00+07:00", worker=False)
    assert resp.status_code == 200, resp.content
    assert InboundSms.objects.count() == 1
