"""Fixtures shared by every test: the tiny named world, an API client, the SMS outbox."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from khaibao import demo
from khaibao.core import overload
from khaibao.core.testing import ApiLaneClient


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Tests marked postgres_only need real row locks and concurrent connections; tests marked
    replica, a streaming replica of the PostgreSQL primary."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    only = pytest.mark.skip(reason=POSTGRES_ONLY)
    replica = pytest.mark.skip(reason="needs a streaming replica of PostgreSQL: make test-replica")
    for item in items:
        if "replica" in item.keywords:
            item.add_marker(replica)
        elif "postgres_only" in item.keywords:
            item.add_marker(only)


POSTGRES_ONLY = "PostgreSQL only: make test-postgres"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    """On SQLite, say how many PostgreSQL-only tests did not run and how to run them: among them
    are the checks that the one-statement writes store what the portable path stores."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if POSTGRES_ONLY in str(r.longrepr)]
    if not skipped:
        return
    terminalreporter.write_sep("-", f"{len(skipped)} PostgreSQL-only tests skipped", yellow=True)
    terminalreporter.write_line(
        "Row locks, concurrent writers and the one-statement writes of the daily update and the declaration"
        " against their portable path (monitoring/tests/test_daily_update_paths.py,"
        " declarations/tests/test_declaration_paths.py) run only on PostgreSQL:"
    )
    terminalreporter.write_line("    make test-postgres PG_URL=postgres://USER@HOST:5432/DB")
    terminalreporter.write_line(
        "    (only those tests: make test-postgres PG_URL=... PYTEST_ARGS='-m postgres_only' REPLICA=0)"
    )


@pytest.fixture(autouse=True)
def _commit_callbacks_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run on_commit callbacks (SMS sending, task enqueues) when each test request ends.

    A test runs inside one transaction that never commits, so without this the callbacks a
    request registers would never run — as if production never sent the code it stored.
    Callbacks of rolled-back savepoints are dropped as in a real rollback.
    """
    from django.test import TestCase

    original = Client.request

    def request(self: Client, **kwargs: Any) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture(autouse=True)
def _isolated(settings: Any, tmp_path: Path) -> Any:
    """Every test gets its own SMS file and an empty cache (rate limits, lockouts).

    Passwords still hash with Argon2, at toy costs (khaibao/core/testing.py).
    """
    settings.PASSWORD_HASHERS = ["khaibao.core.testing.FastArgon2PasswordHasher"]
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    cache.clear()
    overload.rush_reset()  # rush mode's hold is per process: no test inherits another's
    # Tests stand behind the proxy that stamps X-Request-Start (core/overload.py trusts it only then).
    settings.OVERLOAD_TRUST_REQUEST_START = True
    yield
    cache.clear()
    overload.rush_reset()


class SmsOutbox:
    def __init__(self, path: Path) -> None:
        self.path = path

    def messages(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]

    def last_code(self, to: str) -> str:
        for message in reversed(self.messages()):
            if message["to"] == to:
                match = re.search(r"\b(\d{6})\b", message["body"])
                assert match, message
                return match.group(1)
        raise AssertionError(f"no SMS to {to}")


@pytest.fixture
def sms(settings: Any) -> SmsOutbox:
    return SmsOutbox(Path(settings.SMS_FILE_PATH))


@dataclass
class NamedWorld:
    """Named handles on the demo world (khaibao/demo.py) — the same people the README shows."""

    raw: demo.World

    def __getattr__(self, name: str) -> Any:
        aliases = {
            # citizens (accounts)
            "lan": "0900000001", "mai": "0900000002", "hung": "0900000003", "hoa": "0900000004",
            "nam": "0900000005", "ha": "0900000009", "volunteer": "0900000009",
            # staff
            "national": "demo-national", "province": "demo-province", "province_hcm": "demo-province-hcm",
            "ward_official": "demo-ward", "checkpoint": "demo-checkpoint", "org_admin": "demo-org", "dpo": "demo-dpo",
        }
        people = {
            "lan_self": "Nguyễn Thị Lan", "lan_child": "Trần Minh An", "lan_parent": "Nguyễn Văn Bình",
            "mai_self": "Lê Thị Mai", "hung_self": "Phạm Văn Hùng", "hung_spouse": "Đặng Thị Thu",
            "hoa_self": "Võ Thị Hoa", "nam_self": "Đỗ Văn Nam", "ha_self": "Trần Thu Hà", "ong_tu": "Nguyễn Văn Tư",
        }
        wards = {"hoan_kiem": demo.HOAN_KIEM, "ba_dinh": demo.BA_DINH, "sai_gon": demo.SAI_GON, "ben_thanh": demo.BEN_THANH}
        provinces = {"hanoi": demo.HANOI, "hcmc": demo.HCMC}
        if name in aliases:
            return self.raw.accounts[aliases[name]]
        if name in people:
            return self.raw.people[people[name]]
        if name in wards:
            return self.raw.wards[wards[name]]
        if name in provinces:
            return self.raw.provinces[provinces[name]]
        raise AttributeError(name)


@pytest.fixture
def world(db: Any) -> NamedWorld:
    """Two provinces (Hà Nội, TP.HCM), two wards each, named citizens, one official per scope."""
    return NamedWorld(demo.build_world())


class ApiClient:
    """Django's test client speaking JSON to /api/v1, optionally as a given account, through the
    API's own middleware stack as in production (khaibao/core/lanes.py)."""

    def __init__(self, token: str | None = None) -> None:
        self.client = ApiLaneClient()
        self.token = token

    def as_(self, account: Any) -> ApiClient:
        from khaibao.accounts.tokens import token_issue

        value, _ = token_issue(account=account, label="test")
        return ApiClient(value)

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = dict(headers or {})
        if self.token:
            merged.setdefault("Authorization", f"Bearer {self.token}")
        return merged

    def _url(self, path: str) -> str:
        return path if path.startswith("/") and path.startswith("/api/") else f"/api/v1{path}"

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(self._url(path), headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(self._url(path), headers=self._headers(kw.pop("headers", None)), **kw)

    def _send(self, method: str, path: str, data: Any = None, headers: dict[str, str] | None = None, raw: bool = False) -> Any:
        body = data if raw else json.dumps(data if data is not None else {})
        return getattr(self.client, method)(
            self._url(path), body, content_type="application/json", headers=self._headers(headers)
        )

    def post(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self._send("post", path, data, **kw)

    def put(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self._send("put", path, data, **kw)

    def patch(self, path: str, data: Any = None, **kw: Any) -> Any:
        return self._send("patch", path, data, **kw)


@pytest.fixture
def api(db: Any) -> ApiClient:
    return ApiClient()
