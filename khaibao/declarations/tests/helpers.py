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


def stored_rows(model: Any, person_id: int, *, order: str = "id", skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The person's rows of `model` without their ids (sequences differ between two runs)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", *skip)]
    return list(model.objects.filter(person_id=person_id).order_by(order).values(*names))


def assert_one_read_and_one_write(queries: Any, *, tables: tuple[str, ...], write: str, checked: bool = False) -> None:
    """The service's statements among `queries` (those naming one of `tables`): the
    assessment's inputs with the status row locked, then one `WITH … ` write starting `write`.
    `checked`: the read is also the access check (`WITH guard AS (…)`, the household route) and
    reads the person row without locking it (the API's daily update)."""
    service = [q["sql"] for q in queries if any(t in q["sql"] for t in tables)]
    assert len(service) == 2, service
    if checked:
        assert service[0].startswith("WITH guard AS (SELECT "), service
        assert 'people_householdmembership h WHERE h.owner_id = ' in service[0], service
        assert ') SELECT "monitoring_personstatus"' in service[0], service
        assert service[0].endswith('FOR UPDATE OF "monitoring_personstatus"'), service
    else:
        assert service[0].startswith('SELECT "monitoring_personstatus"'), service
        assert service[0].endswith("FOR UPDATE"), service
    assert service[1].startswith(write), service


def web_form(**fields: Any) -> dict[str, Any]:
    """A web declaration form's POST: the commitment and consent ticked, plus `fields`."""
    return {"commitment": "on", "consent": "on", **fields}
