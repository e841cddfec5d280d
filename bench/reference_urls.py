"""The product's URLs plus the references measured in the same run (never part of the product).

* /bench/select1 — a minimal Django view doing `SELECT 1` through the same middleware stack;
* /bench/insert — a minimal view upserting one daily-update row with raw SQL;
* /bench/ninja/insert — the same upsert behind a minimal django-ninja endpoint (a JSON body
  validated by a schema, no auth): the "minimal Django + ninja insert" R3 compares the
  product's update path with (bench/load.py);
* /bench/hello — a Django view answering a constant (the framework's floor; the server's own
  floor is bench/hello_wsgi.py).
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema

# Days far in the future, so the reference rows never collide with generated ones and are
# easy to delete afterwards (bench/measure.py removes them).
REFERENCE_DAY_OFFSET = 1000


def select1(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (value,) = cursor.fetchone()
    return JsonResponse({"ok": value})


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    person_id = int(request.GET.get("person", "1"))
    day = date.today() + timedelta(days=REFERENCE_DAY_OFFSET + random.randint(0, 100_000))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_as,"
            " created_at, updated_at) VALUES (%s, %s, '[]', 36.6, 'well', 'self', now(), now())"
            " ON CONFLICT (person_id, day) DO UPDATE SET updated_at = EXCLUDED.updated_at",
            [person_id, day],
        )
    return JsonResponse({"ok": True}, status=201)


def hello(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"hello": "world"})


reference_api = NinjaAPI(urls_namespace="bench-reference", docs_url=None)


class ReferenceUpdateIn(Schema):
    person: int
    symptoms: list[str] = []
    temperature: float | None = None
    feeling: str = "well"


@reference_api.post("/insert")
def ninja_insert(request: HttpRequest, data: ReferenceUpdateIn) -> dict[str, bool]:
    day = date.today() + timedelta(days=REFERENCE_DAY_OFFSET + random.randint(0, 100_000))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_as,"
            " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, 'self', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            " ON CONFLICT (person_id, day) DO UPDATE SET updated_at = EXCLUDED.updated_at",
            [data.person, day, json.dumps(data.symptoms), data.temperature, data.feeling],
        )
    return {"ok": True}


urlpatterns = [
    path("bench/hello", hello),
    path("bench/ninja/", reference_api.urls),
    path("bench/select1", select1),
    path("bench/insert", insert),
    path("", include("khaibao.urls")),
]
