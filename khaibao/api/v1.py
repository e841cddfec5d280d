"""The JSON API under /api/v1/: one NinjaAPI, one router per domain, one error format."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from khaibao.api import (
    audit,
    auth_endpoints,
    cases,
    daily_updates,
    declarations,
    exports,
    id_reviews,
    me,
    memberships,
    news,
    notifications,
    org_campaigns,
    orgs,
    passes,
    people,
    places,
    privacy,
    report_handling,
    reports,
    stats,
    tracing,
    venues,
    volunteers,
    zones,
)
from khaibao.api.auth import bearer
from khaibao.api.errors import invalid_request, malformed_json
from khaibao.core.errors import ServiceError
from khaibao.core.http import error_response


class KhaiBaoApi(NinjaAPI):
    """The one API object; its schema also lists the error answers every operation can give."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        document_common_errors(schema)
        return schema


def document_common_errors(schema: dict[str, Any]) -> None:
    """Add the answers the shared handlers below give to any operation, where not listed:
    401 (no or bad token) when the operation needs one, 400 (invalid input, the error format)
    when it takes any input, 404 when its path names an object.

    Clients (and the Schemathesis run in khaibao/security_suite) read the schema as the contract;
    without these it would say that an operation never answers what it always can.
    """
    if "ErrorOut" not in schema.get("components", {}).get("schemas", {}):
        return
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            needed = {
                401: bool(operation.get("security")),
                400: bool(parameters or operation.get("requestBody")),
                404: any(p.get("in") == "path" for p in parameters),
            }
            descriptions = {401: "Unauthorized", 400: "Bad Request", 404: "Not Found"}
            for status, applies in needed.items():
                if applies and status not in responses and str(status) not in responses:
                    responses[status] = {"description": descriptions[status], **error}


api = KhaiBaoApi(
    title="Khai Báo API",
    version="1",
    description="Health declaration and epidemic monitoring. See docs/api.md.",
    urls_namespace="api-v1",
    auth=bearer,
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return invalid_request(request, list(exc.errors))


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        401,
        "unauthorized",
        _("Sign in first: send a valid token as 'Authorization: Bearer <token>'."),
        headers={"WWW-Authenticate": "Bearer"},
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja raises a bare 400 when the body is not parseable JSON.
        return malformed_json()
    return error_response(exc.status_code, "error", str(exc))


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    # Refusals that pass with time (rate limits, an SMS gateway down) say when to come back.
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(exc.status, exc.code, exc.message, exc.fields, headers)


def _register_routers() -> None:
    api.add_router("/auth", auth_endpoints.router)
    api.add_router("/me", me.router)
    api.add_router("/places", places.router)
    api.add_router("/people", people.router)
    api.add_router("/people", declarations.router)
    api.add_router("/people", daily_updates.router)
    api.add_router("/passes", passes.router)
    api.add_router("/people", passes.people_router)
    # Officials' console API (issue 4): triage is mounted at the root of cases.router's paths.
    api.add_router("", cases.router)
    api.add_router("/cases", tracing.router)
    api.add_router("/break-glass", tracing.break_glass_router)
    api.add_router("/id-number-reviews", id_reviews.router)  # issue 18
    api.add_router("/stats", stats.router)
    api.add_router("/exports", exports.router)
    # Zones, warnings, notifications and official information (issue 5).
    api.add_router("/zones", zones.router)
    api.add_router("/notifications", notifications.router)
    api.add_router("/news", news.router)
    api.add_router("/reports", reports.router)  # issue 6
    api.add_router("/reports", report_handling.router)  # officials' side
    api.add_router("/orgs", orgs.router)  # issue 7: units and rosters
    api.add_router("/orgs", org_campaigns.router)  # issues 7, 17, 21: campaigns, compliance, reminders, chasing
    api.add_router("/memberships", memberships.router)  # issue 21
    api.add_router("/volunteers", volunteers.router)  # issue 7
    api.add_router("/audit", audit.router)  # issue 8
    api.add_router("/privacy", privacy.router)  # issue 8
    api.add_router("", venues.router)  # issue 20: /checkins and /venues
    # Last, so it only catches what no router answered: unknown API paths get the error format.
    api.add_router("", _fallback)


_fallback = Router(auth=None)


@_fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False)
def unknown_path(request: HttpRequest, rest: str) -> HttpResponse:
    return error_response(404, "not_found", _("Not found."))


_register_routers()
