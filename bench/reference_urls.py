"""The product's URLs plus the references measured in the same run (never part of the product).

* /bench/select1 — a minimal Django view doing `SELECT 1` through the same middleware stack;
* /bench/insert — a minimal view upserting one daily-update row with raw SQL;
* /bench/ninja/insert — the same upsert behind a minimal django-ninja endpoint (a JSON body
  validated by a schema, no auth): the "minimal Django + ninja insert" R3 compares the
  product's update path with (bench/load.py);
* /bench/hello — a Django view answering a constant (the framework's floor; the server's own
  floor is bench/hello_wsgi.py);
* /bench/ninja/echo — a fixed JSON answer of a daily update's size behind ninja, no database:
  what the middleware stacks alone cost (bench/lanes.py);
* /bench/ninja/read/{person} — one SELECT of a status row behind a minimal django-ninja endpoint:
  the reference for the status read (no endpoint doing a database round trip through this stack
  can be faster);
* /bench/ninja/floor/{person}/{day} — the least any implementation of the product's daily update
  must do while it keeps its contract (authenticated and rate-limited, answered with the new
  assessment, the status current, an audit event in the same transaction): the product's token
  check and API rate limits (its middleware), then the same four rows as the product (upsert the
  update, insert an Assessment, update the status row, insert the audit event) in one atomic
  statement on PostgreSQL, with constant values — no validation, no access check, no inputs read,
  no risk engine, no idempotency. `floor ÷ ninja insert` is therefore a ceiling on R3 for this
  stack;
* /bench/ninja/floor-declaration/{person} — the same for a new declaration (PostgreSQL only): the
  token check and rate limits, the Idempotency-Key lookup, then one transaction that locks the
  person's status row (two declarations of one person must not take the same version) and writes
  the declaration (next version), its Assessment, the status row, the audit event and the
  Idempotency-Key record in one statement.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.security import HttpBearer

from khaibao.api.auth import request_account

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


class ReferenceDeclarationIn(Schema):
    travel: list[dict[str, Any]] = []
    symptoms: list[str] = []
    exposures: list[str] = []
    conditions: list[str] = []
    pregnant: bool = False
    commitment: bool = True
    consent: bool = True


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


class ReferenceBearer(HttpBearer):
    # The product's own token check (khaibao/api/auth.py): the middleware that applies the API's
    # rate limits has already run it for this request, so this is the only token lookup, as in
    # the product. Authentication and rate limits are part of the update's contract.
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return request_account(request)


# About the size of a daily update's answer (its assessment with reasons and advice): what the
# middleware stacks handle on the way out, without a database (bench/lanes.py, target `echo`).
_ECHO = {"assessment": {"level": "low", "reasons": [{"code": f"rule_{i}", "text": "x" * 40} for i in range(8)],
                        "recommendations": [{"code": "five_k", "text": "y" * 200}]}, "updated": True}


@reference_api.get("/echo")
def ninja_echo(request: HttpRequest) -> dict[str, Any]:
    return _ECHO


@reference_api.get("/read/{person}")
def ninja_read(request: HttpRequest, person: int) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT level, assessed_at FROM monitoring_personstatus WHERE person_id = %s", [person])
        row = cursor.fetchone()
    return {"level": row[0] if row else None, "assessed_at": row[1] if row else None}


# PostgreSQL: the four rows in one statement, as the product writes them (monitoring/services.py).
_FLOOR_PG = (
    "WITH u AS (INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_as,"
    " updated_by_id, created_at, updated_at) VALUES (%(person)s, %(day)s, %(symptoms)s, %(temperature)s,"
    " %(feeling)s, 'self', %(account)s, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    " ON CONFLICT (person_id, day) DO UPDATE SET symptoms = EXCLUDED.symptoms, temperature = EXCLUDED.temperature,"
    " feeling = EXCLUDED.feeling, updated_at = EXCLUDED.updated_at RETURNING id),"
    " a AS (INSERT INTO monitoring_assessment (source, level, engine_level, level_kept, reasons, recommendations,"
    " ruleset_version, monitoring_days, priority, created_at, person_id, daily_update_id)"
    " SELECT 'daily_update', 'low', 'low', false, '[]', '[\"five_k\"]', 'bench', 0, 0, CURRENT_TIMESTAMP,"
    " %(person)s, u.id FROM u RETURNING id, level, created_at),"
    " s AS (UPDATE monitoring_personstatus SET level = a.level, assessed_at = a.created_at,"
    " last_update_at = a.created_at, last_update_day = %(day)s, last_activity_at = a.created_at"
    " FROM a WHERE person_id = %(person)s),"
    " e AS (INSERT INTO audit_auditevent (at, actor_id, actor_label, action, object_type, object_id, person_id,"
    " reason, ip, data, prev_hash) SELECT CURRENT_TIMESTAMP, %(account)s, '', 'bench.floor', 'DailyUpdate',"
    " u.id::text, %(person)s, '', '127.0.0.1', '{}', '' FROM u)"
    " SELECT a.id, a.level FROM a"
)
# SQLite has no data-modifying WITH: the same four rows, one statement each.
_FLOOR_SQLITE = (
    "INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_as,"
    " updated_by_id, created_at, updated_at) VALUES (%(person)s, %(day)s, %(symptoms)s, %(temperature)s,"
    " %(feeling)s, 'self', %(account)s, %(now)s, %(now)s)"
    " ON CONFLICT (person_id, day) DO UPDATE SET symptoms = excluded.symptoms, temperature = excluded.temperature,"
    " feeling = excluded.feeling, updated_at = excluded.updated_at RETURNING id",
    "INSERT INTO monitoring_assessment (source, level, engine_level, level_kept, reasons, recommendations,"
    " ruleset_version, monitoring_days, priority, created_at, person_id, daily_update_id)"
    " VALUES ('daily_update', 'low', 'low', 0, '[]', '[\"five_k\"]', 'bench', 0, 0, %(now)s, %(person)s,"
    " %(update)s) RETURNING id, level",
    "UPDATE monitoring_personstatus SET level = 'low', assessed_at = %(now)s, last_update_at = %(now)s,"
    " last_update_day = %(day)s, last_activity_at = %(now)s WHERE person_id = %(person)s",
    "INSERT INTO audit_auditevent (at, actor_id, actor_label, action, object_type, object_id, person_id, reason,"
    " ip, data, prev_hash) VALUES (%(now)s, %(account)s, '', 'bench.floor', 'DailyUpdate', %(update)s,"
    " %(person)s, '', '127.0.0.1', '{}', '')",
)


@reference_api.put("/floor/{person}/{day}", auth=ReferenceBearer())
def ninja_floor(request: HttpRequest, person: int, day: date, data: ReferenceUpdateIn) -> dict[str, Any]:
    values: dict[str, Any] = {
        "person": person, "day": day, "symptoms": json.dumps(data.symptoms), "temperature": data.temperature,
        "feeling": data.feeling, "account": request.auth.pk,  # type: ignore[attr-defined]
    }
    if connection.vendor == "postgresql":
        # One statement is atomic by itself: no BEGIN/COMMIT round trips.
        with connection.cursor() as cursor:
            cursor.execute(_FLOOR_PG, values)
            assessment_id, level = cursor.fetchone()
        return {"assessment": assessment_id, "level": level}
    values["now"] = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_FLOOR_SQLITE[0], values)
        values["update"] = cursor.fetchone()[0]
        cursor.execute(_FLOOR_SQLITE[1], values)
        assessment_id, level = cursor.fetchone()
        cursor.execute(_FLOOR_SQLITE[2], values)
        cursor.execute(_FLOOR_SQLITE[3], values)
    return {"assessment": assessment_id, "level": level}


_FLOOR_DECLARATION_PG = (
    "WITH d AS (INSERT INTO declarations_declaration (person_id, version, kind, declared_by_id, declared_as,"
    " questionnaire_version, consent_version, commitment, consent, answers, created_at) VALUES (%(person)s,"
    " (SELECT COALESCE(MAX(v.version), 0) + 1 FROM declarations_declaration v WHERE v.person_id = %(person)s),"
    " 'universal', %(account)s, 'household_owner', 'bench', 'bench', true, true, %(answers)s, CURRENT_TIMESTAMP)"
    " RETURNING id, version),"
    " a AS (INSERT INTO monitoring_assessment (source, level, engine_level, level_kept, reasons, recommendations,"
    " ruleset_version, monitoring_days, priority, created_at, person_id, declaration_id)"
    " SELECT 'declaration', 'low', 'low', false, '[]', '[\"five_k\"]', 'bench', 0, 0, CURRENT_TIMESTAMP,"
    " %(person)s, d.id FROM d RETURNING id, level, created_at),"
    " s AS (UPDATE monitoring_personstatus SET level = a.level, assessed_at = a.created_at,"
    " last_declaration_at = a.created_at, last_activity_at = a.created_at FROM a WHERE person_id = %(person)s),"
    " e AS (INSERT INTO audit_auditevent (at, actor_id, actor_label, action, object_type, object_id, person_id,"
    " reason, ip, data, prev_hash) SELECT CURRENT_TIMESTAMP, %(account)s, '', 'bench.floor', 'Declaration',"
    " d.id::text, %(person)s, '', '127.0.0.1', '{}', '' FROM d),"
    " i AS (INSERT INTO api_idempotencyrecord (owner, key, method, path, request_hash, status_code, content_type,"
    " body, created_at) VALUES (%(owner)s, %(key)s, 'POST', %(path)s, '', 201, 'application/json', %(body)s,"
    " CURRENT_TIMESTAMP))"
    " SELECT d.id, d.version FROM d"
)


@reference_api.post("/floor-declaration/{person}", auth=ReferenceBearer())
def ninja_floor_declaration(request: HttpRequest, person: int, data: ReferenceDeclarationIn) -> dict[str, Any]:
    values: dict[str, Any] = {
        "person": person, "account": request.auth.pk,  # type: ignore[attr-defined]
        "answers": data.model_dump_json(), "owner": f"account:{request.auth.pk}",  # type: ignore[attr-defined]
        "key": request.headers.get("Idempotency-Key", ""), "path": request.path, "body": b"{}",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT status_code, body FROM api_idempotencyrecord WHERE owner = %(owner)s AND key = %(key)s",
                       values)
        if cursor.fetchone() is not None:
            return {"replayed": True}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT person_id FROM monitoring_personstatus WHERE person_id = %(person)s FOR UPDATE", values)
        cursor.execute(_FLOOR_DECLARATION_PG, values)
        declaration_id, version = cursor.fetchone()
    return {"declaration": declaration_id, "version": version}


urlpatterns = [
    path("bench/hello", hello),
    path("bench/ninja/", reference_api.urls),
    path("bench/select1", select1),
    path("bench/insert", insert),
    path("", include("khaibao.urls")),
]
# The product's error answers (JSON under /api/, 503 + Retry-After when the database is unavailable).
handler400 = "khaibao.core.error_views.bad_request"
handler403 = "khaibao.core.error_views.permission_denied"
handler404 = "khaibao.core.error_views.page_not_found"
handler500 = "khaibao.core.error_views.server_error"
