from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from khaibao.core.health import health_report


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, else 503 (core/health.py); `?detail` adds each check's
    numbers, `?web` checks only what serving requests needs (for load balancers)."""
    healthy, report = health_report(detail="detail" in request.GET, web_only="web" in request.GET)
    return JsonResponse(report, status=200 if healthy else 503)
