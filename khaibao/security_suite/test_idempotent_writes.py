"""Idempotency everywhere it is offered (issue 18, item 5).

The daily update `PUT /people/{id}/updates/{day}` honours `Idempotency-Key` like every create:
the same key and body replays the stored answer, the same key with another body is 422 and
changes nothing — so a late retry can never replace a newer update. Without a key it keeps its
PUT semantics. docs/api.md lists every write endpoint of the schema and whether it takes the key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings

from khaibao.audit.models import AuditEvent
from khaibao.declarations.tests.helpers import ago
from khaibao.monitoring.models import DailyUpdate
from khaibao.security_suite.routes import api_routes

WELL = {"symptoms": [], "feeling": "well", "temperature": 36.6}
UNWELL = {"symptoms": ["cough"], "feeling": "unwell", "temperature": 38.4}


def _put(client: Any, person_id: int, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else None
    return client.put(f"/people/{person_id}/updates/{ago(0)}", body, headers=headers)


def _update(person_id: int) -> DailyUpdate:
    return DailyUpdate.objects.get(person_id=person_id, day=ago(0))


def test_it_replays_the_same_daily_update_with_the_same_key(sec):
    lan, child = sec.api("citizen_owner"), sec.named.lan_child.id
    first = _put(lan, child, UNWELL, key="day-1")
    assert first.status_code == 201, first.content
    events = AuditEvent.objects.count()
    again = _put(lan, child, UNWELL, key="day-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AuditEvent.objects.count() == events  # nothing written again


def test_it_refuses_the_same_key_with_another_daily_update(sec):
    lan, child = sec.api("citizen_owner"), sec.named.lan_child.id
    assert _put(lan, child, UNWELL, key="day-2").status_code == 201
    newer = _put(lan, child, WELL, key="day-3")
    assert newer.status_code == 200
    # The late retry of the first request, with its key but another body than stored: refused.
    late = _put(lan, child, {**UNWELL, "temperature": 39.0}, key="day-2")
    assert late.status_code == 422, late.content
    assert late.json()["error"]["code"] == "idempotency_key_reused"
    assert _update(child).feeling == "well"
    # The late retry of the very same first request: its stored answer, the newer update kept.
    replay = _put(lan, child, UNWELL, key="day-2")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert _update(child).feeling == "well"


def test_it_keeps_put_semantics_without_a_key(sec):
    lan, child = sec.api("citizen_owner"), sec.named.lan_child.id
    assert _put(lan, child, UNWELL).status_code == 201
    resp = _put(lan, child, WELL)
    assert resp.status_code == 200
    assert "Idempotent-Replayed" not in resp
    assert _update(child).feeling == "well"


def test_it_keeps_keys_apart_per_caller(sec):
    lan, child = sec.api("citizen_owner"), sec.named.lan_child.id
    assert _put(lan, child, UNWELL, key="shared").status_code == 201
    # Another citizen reusing the key reaches nothing of Lan's: their own answer (404, not hers).
    other = _put(sec.api("other_citizen"), child, UNWELL, key="shared")
    assert other.status_code == 404


def _documented_key_table() -> dict[str, str]:
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    section = text.split("### Which writes take the key", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+) ([^`]+)` \| (yes|no)\b", section, flags=re.MULTILINE)
    return {f"{method} {path}": answer for method, path, answer in rows}


def test_it_lists_every_write_endpoint_and_whether_it_takes_the_key():
    documented = _documented_key_table()
    writes = {
        f"{r.method} {r.pattern.removeprefix('/api/v1')}"
        for r in api_routes()
        if r.method in {"POST", "PUT", "PATCH", "DELETE"}
    }
    missing = sorted(writes - set(documented))
    stale = sorted(set(documented) - writes)
    assert not missing, f"write endpoints not in docs/api.md's key table: {missing}"
    assert not stale, f"docs/api.md lists endpoints the schema no longer has: {stale}"
    # The middleware honours the key on every write method: the table must not say otherwise.
    assert set(documented.values()) == {"yes"}
