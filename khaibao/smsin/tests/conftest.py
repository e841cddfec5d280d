"""Fixtures of the SMS tests: the shared secret is set and a signing gateway is at hand."""

from __future__ import annotations

from typing import Any

import pytest

from khaibao.smsin.tests.helpers import SECRET, Gateway


@pytest.fixture(autouse=True)
def _inbound_secret(settings: Any) -> None:
    settings.SMS_INBOUND_SECRET = SECRET


@pytest.fixture
def gateway(sms: Any) -> Gateway:
    return Gateway(sms)


