"""The bare reference's endpoints: one upsert of a daily-update row (R3's denominator) and one
SELECT of a status row (the status read's), behind django-ninja with a JSON body schema."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from ninja import NinjaAPI, Schema

# Far-future days, as the in-product references (bench/load.py deletes them after a run).
REFERENCE_DAY_OFFSET = 1000

api = NinjaAPI(urls_namespace="bench-bare", docs_url=None, openapi_url=None)


class UpdateIn(Schema):
    person: int
    symptoms: list[str] = []
    temperature: float | None = None
    feeling: str = "well"


@api.post("/insert")
def insert(request: HttpRequest, data: UpdateIn) -> dict[str, bool]:
    day = date.today() + timedelta(days=REFERENCE_DAY_OFFSET + random.randint(0, 100_000))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_as,"
            " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, 'self', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            " ON CONFLICT (person_id, day) DO UPDATE SET updated_at = EXCLUDED.updated_at",
            [data.person, day, json.dumps(data.symptoms), data.temperature, data.feeling],
        )
    return {"ok": True}


@api.get("/read/{person}")
def read(request: HttpRequest, person: int) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT level, assessed_at FROM monitoring_personstatus WHERE person_id = %s", [person])
        row = cursor.fetchone()
    return {"level": row[0] if row else None, "assessed_at": row[1] if row else None}


def ready(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("bare/", api.urls), path("bare/ready", ready)]
