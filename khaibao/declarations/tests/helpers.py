"""Builders for declaration bodies, with dates as "days ago" from today in Asia/Ho_Chi_Minh."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone


def today() -> date:
    return timezone.localdate()


def ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


def declaration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "travel": [],
        "symptoms": [],
        "exposures": [],
        "conditions": [],
        "pregnant": False,
        "commitment": True,
        "consent": True,
    }
    body.update(overrides)
    return body


def risk_declaration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "contact_with_case": True,
        "contacts": [{"code": "contact_suspected", "date": ago(2)}],
        "came_from_epidemic_area": False,
        "travel": [],
        "suspect_infection": False,
        "symptoms": [],
        "commitment": True,
        "consent": True,
    }
    body.update(overrides)
    return body
