"""Putting people of the named world into given states through the citizens' API."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from khaibao.declarations.tests.helpers import ago, declaration, risk_declaration
from khaibao.passes.tests.helpers import sign_in_staff

__all__ = ["bodies", "declare", "risk_declare", "sign_in_staff", "update"]


def bodies() -> dict[str, dict[str, Any]]:
    # Built at call time: dates are relative to "today", which tests move with time_machine.
    return {
        "low": {},
        "medium": {"exposures": [{"code": "contact_suspected", "date": ago(2)}]},
        "high": {"exposures": [{"code": "contact_confirmed", "date": ago(2)}]},
        "urgent": {"symptoms": [{"code": "shortness_of_breath", "onset": ago(1)}, {"code": "fever", "onset": ago(1)}]},
    }


def declare(api: Any, account: Any, person: Any, level: str, **extra: Any) -> Any:
    resp = api.as_(account).post(f"/people/{person.id}/declarations", declaration(**bodies()[level], **extra))
    assert resp.status_code == 201, resp.content
    assert resp.json()["assessment"]["level"] == level
    return resp


def risk_declare(api: Any, account: Any, person: Any) -> Any:
    # An old symptom: the engine says low, but every risk-factor declaration needs an official.
    body = risk_declaration(contact_with_case=False, contacts=[], suspect_infection=True,
                            symptoms=[{"code": "cough", "onset": ago(30)}])
    resp = api.as_(account).post(f"/people/{person.id}/risk-declarations", body)
    assert resp.status_code == 201, resp.content
    return resp


def update(api: Any, account: Any, person: Any, day: str, **body: Any) -> Any:
    resp = api.as_(account).put(f"/people/{person.id}/updates/{day}", {"symptoms": [], "feeling": "well", **body})
    assert resp.status_code in (200, 201), resp.content
    return resp


# The missed-updates job's tests: a day 0 and the clock moved to day N of it.
MISSED_DAY0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def missed_day(days: int) -> Any:
    return time_machine.travel(MISSED_DAY0 + timedelta(days=days), tick=False)


def lan_and_nam_monitored(world: Any, api: Any) -> Any:
    """Lan and Nam (61, same ward), medium, under monitoring from day 0, their last update on day 0."""
    with missed_day(0):
        declare(api, world.lan, world.lan_self, "medium")
        declare(api, world.nam, world.nam_self, "medium")
        update(api, world.lan, world.lan_self, MISSED_DAY0.date().isoformat())
        update(api, world.nam, world.nam_self, MISSED_DAY0.date().isoformat())
    return world
