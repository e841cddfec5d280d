"""Helpers for the privacy tests: declare through the API, search the whole database."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

from khaibao.declarations.tests.helpers import ago, declaration
from khaibao.stats.models import DailyAreaRollup, DailyCodeRollup


def immediate_tasks(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def declare_and_update(client: Any, person: Any) -> None:
    resp = client.post(f"/api/v1/people/{person.id}/declarations", declaration(symptoms=[{"code": "cough", "onset": ago(1)}]))
    assert resp.status_code == 201, resp.content
    resp = client.put(
        f"/api/v1/people/{person.id}/updates/{ago(0)}", {"symptoms": ["cough"], "temperature": 38.2, "feeling": "unwell"}
    )
    assert resp.status_code == 201, resp.content


def rollups() -> list[tuple[Any, ...]]:
    """The statistics as numbers only (refresh times left out)."""
    areas = list(
        DailyAreaRollup.objects.order_by("day", "ward_id").values_list(
            "day", "ward_id", "declarations", "risk_declarations", "daily_updates"
        )
    )
    codes = list(DailyCodeRollup.objects.order_by("day", "ward_id", "kind", "code").values_list("day", "ward_id", "kind", "code", "count"))
    return areas + codes


def database_hits(*needles: str) -> list[str]:
    """Every (table.column) in the whole database whose value contains one of `needles`.

    Encrypted columns are read decrypted (the model field decrypts), so this finds what the
    application could still show, not only what is in clear on disk.
    """
    hits = []
    for model in apps.get_models():
        if model._meta.db_table == "django_session":
            continue
        fields = [
            f.attname for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            for name, value in zip(fields, row, strict=True):
                text = str(value) if value is not None else ""
                for needle in needles:
                    if needle and needle in text:
                        hits.append(f"{model._meta.db_table}.{name}: {needle}")
    return hits
