"""Schemathesis against /api/v1/openapi.json (issue 8, suite item 3).

The schema is loaded from the Django app itself over WSGI (no server, no network) and every
operation gets a few generated requests as each role, carrying that role's bearer token. Each
answer must not be a 5xx and must match what the schema documents: a status code it lists, that
response's content type and body schema. Path ids are the world's real objects half of the time
(so the generator reaches the code behind the access check), random otherwise.

Bounded: EXAMPLES requests per operation and role, no shrinking, no example database.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from khaibao.security_suite.matrix_support import path_values

# Requests go through Django's real WSGI handler, outside the test client: on PostgreSQL the
# connection holding the test's transaction is closed under it (open problem, see the report in
# docs/security-tests.md), so this part runs on SQLite only for now.
pytestmark = pytest.mark.skipif(
    "postgresql" in __import__("django.conf", fromlist=["settings"]).settings.DATABASES["default"]["ENGINE"],
    reason="Schemathesis over WSGI loses the test transaction's connection on PostgreSQL",
)

EXAMPLES = 3
ROLES = ["anonymous", "citizen_owner", "volunteer", "checkpoint", "province_official", "org_admin_a", "dpo"]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
# Operations that change shared state in ways later examples cannot undo within one test:
# signing out revokes the very token the other examples use.
SKIP = {("POST", "/api/v1/auth/logout")}


@pytest.fixture(scope="module")
def api_schema(_keep_the_test_connection: Any) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()
            if (result.ok().method.upper(), result.ok().full_path) not in SKIP]


@pytest.mark.parametrize("role", ROLES)
def test_it_answers_every_operation_without_5xx_and_as_documented(sec, api_schema, role, settings_):
    token = sec.token(role)
    # Uncompressed answers: the body is checked against the schema as it is (pages and API
    # answers are gzip-compressed for clients that ask, docs/accessibility.md).
    headers = {"Accept-Encoding": "identity"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    failures: list[str] = []

    for operation in _operations(api_schema):
        _fuzz(operation, role, headers, path_values(sec), failures)

    assert not failures, "\n\n".join(failures)


def _fuzz(operation: Any, role: str, headers: dict[str, str], real: dict[str, Any], failures: list[str]) -> None:
    fixed = {p.name: real[p.name] for p in operation.path_parameters if p.name in real}

    @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), use_real=st.booleans())
    def run(case: Any, use_real: bool) -> None:
        if use_real and fixed:
            case.path_parameters = {**(case.path_parameters or {}), **fixed}
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every broken operation
            failures.append(f"{operation.method.upper()} {operation.full_path} as {role}: "
                            f"{response.status_code} {_describe(exc)}")

    run()


@pytest.fixture(scope="module", autouse=True)
def _keep_the_test_connection() -> Any:
    """Requests go through the real WSGI handler, which closes the database connection when a
    request ends; the test's transaction lives on that connection (PostgreSQL), so keep it open
    as Django's own test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def settings_(settings: Any) -> Any:
    # Generated traffic from one address would soon meet the per-address limits, which are
    # tested elsewhere; here every answer must be a documented one, so keep them out of the way.
    settings.OTP_IP_LIMIT_PER_HOUR = 10_000
    settings.API_RATE_PER_TOKEN_PER_MINUTE = 100_000
    settings.API_RATE_PER_IP_PER_MINUTE = 100_000
    settings.API_BAD_TOKEN_PER_IP_PER_MINUTE = 100_000
    return settings


def _describe(exc: BaseException) -> str:
    parts = [f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
             for e in getattr(exc, "exceptions", [exc])]
    return "; ".join(parts)
