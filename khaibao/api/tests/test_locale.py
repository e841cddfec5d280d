"""The API lane's language (api/middleware.py `ApiLocaleMiddleware`) is Django's LocaleMiddleware's:
the same language active for the view, the same `Vary` and `Content-Language` on the answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from khaibao.api.middleware import ApiLocaleMiddleware, _by_accept

ACCEPT = ["", "en", "vi", "en-US,en;q=0.9", "fr-FR,fr;q=0.8", "fr, en;q=0.5", "*", "vi-VN", "zz", "en;q=0"]


def _view(vary: str | None) -> Any:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse(translation.get_language())
        response.headers["X-Seen"] = request.LANGUAGE_CODE  # type: ignore[attr-defined]
        if vary is not None:
            response["Vary"] = vary
        return response

    return view


def _answer(middleware: Any, vary: str | None, **meta: str) -> tuple[bytes, list[tuple[str, str]]]:
    request = RequestFactory().get("/api/v1/me")
    request.META.update(meta)
    with translation.override(None):
        response = middleware(_view(vary))(request)
    return response.content, sorted(response.headers.items())


@pytest.mark.parametrize("vary", [None, "Cookie", "Accept-Language"])
@pytest.mark.parametrize("accept", ACCEPT)
def test_it_chooses_and_announces_the_language_as_djangos_does(accept: str, vary: str | None) -> None:
    for _twice in range(2):  # the second time from what it remembered
        lean = _answer(ApiLocaleMiddleware, vary, HTTP_ACCEPT_LANGUAGE=accept)
        assert lean == _answer(LocaleMiddleware, vary, HTTP_ACCEPT_LANGUAGE=accept)
    assert accept in _by_accept


@pytest.mark.parametrize("cookie", ["en", "vi", "fr", ""])
def test_the_language_cookie_counts_as_for_django(cookie: str) -> None:
    meta = {"HTTP_ACCEPT_LANGUAGE": "vi", "HTTP_COOKIE": f"django_language={cookie}"}
    assert _answer(ApiLocaleMiddleware, None, **meta) == _answer(LocaleMiddleware, None, **meta)


def test_what_it_remembers_follows_the_settings(settings: Any) -> None:
    assert _answer(ApiLocaleMiddleware, None, HTTP_ACCEPT_LANGUAGE="en")[0] == b"en"
    settings.LANGUAGES = [("vi", "Vietnamese")]
    assert _answer(ApiLocaleMiddleware, None, HTTP_ACCEPT_LANGUAGE="en")[0] == b"vi"
