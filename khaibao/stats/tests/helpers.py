"""Builders for the statistics tests: citizens' data through the public API, verified officials."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from khaibao.declarations.tests.helpers import declaration, risk_declaration, today
from khaibao.stats import tasks

__all__ = ["declaration", "official_client", "refresh", "risk_declaration", "today"]


def official_client(account: Any) -> Client:
    """A console client signed in as `account` with the TOTP second factor already passed."""
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(account)
    device = TOTPDevice.objects.create(user=account, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def refresh() -> None:
    """What the worker does every 30 seconds."""
    tasks.stats_refresh.call()


def declare(api: Any, account: Any, person: Any, **answers: Any) -> None:
    resp = api.as_(account).post(f"/people/{person.id}/declarations", declaration(**answers))
    assert resp.status_code == 201, resp.content


def declare_risk(api: Any, account: Any, person: Any, **answers: Any) -> None:
    resp = api.as_(account).post(f"/people/{person.id}/risk-declarations", risk_declaration(**answers))
    assert resp.status_code == 201, resp.content


def update(api: Any, account: Any, person: Any, *, day: date | None = None, **body: Any) -> None:
    body.setdefault("symptoms", [])
    body.setdefault("feeling", "well")
    resp = api.as_(account).put(f"/people/{person.id}/updates/{(day or today()).isoformat()}", body)
    assert resp.status_code in (200, 201), resp.content
