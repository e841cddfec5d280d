"""Issue 21: docs/operations.md says how to size the SMS and OTP limits for a roll-out; the
defaults it quotes are the settings' own (a test fails if either drifts)."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

LIMITS = (
    "OTP_SMS_GLOBAL_LIMIT_PER_HOUR", "OTP_IP_LIMIT_PER_HOUR", "OTP_PHONE_LIMIT_PER_HOUR", "SMS_DAILY_BUDGET",
    "ORG_SMS_DAILY_BUDGET", "ORG_SMS_PER_ORG_DAILY",
)


def test_the_roll_out_sizing_quotes_the_real_defaults() -> None:
    docs = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text()
    section = docs.split("### Sizing a roll-out (organisations)", 1)[1].split("\n### ", 1)[0]
    for name in LIMITS:
        quoted = re.search(rf"`{name}` \| \(([\d,]+)\)", section)
        assert quoted, name
        assert int(quoted.group(1).replace(",", "")) == getattr(settings, name), name
    quoted = re.search(r"`NOTIFY_SMS_PER_MINUTE` \| \(([\d,]+)\)", section)
    assert quoted
    assert int(quoted.group(1).replace(",", "")) == settings.NOTIFY_RATE_LIMITS_PER_MINUTE["sms"]
    assert "N = 20,000" in section
