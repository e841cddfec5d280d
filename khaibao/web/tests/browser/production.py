"""A live server configured like production for static files, for the page-weight budgets.

pytest-django's live server serves the source static files, uncompressed and unhashed, and its
handler is built once per session. This one runs `collectstatic` with WhiteNoise's
CompressedManifestStaticFilesStorage into a temporary STATIC_ROOT (once per session) and serves
it with DEBUG off through the project's own middleware: hashed names, brotli/gzip copies,
a year's immutable caching — what a phone on 2G actually downloads. It counts the bytes of
every response body it sends (after compression), the service worker's fetches included.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test import override_settings
from django.test.testcases import QuietWSGIRequestHandler

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Not used by citizen pages, and most of collectstatic's time (Django admin, the checkpoint's
# QR scanner library with its sources).
NOT_CITIZEN_STATIC = ["admin", "vendor", "django_otp", "otp_totp"]


def collect_compressed_static(root: Path) -> None:
    with override_settings(STATIC_ROOT=str(root), STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=NOT_CITIZEN_STATIC)


@dataclass
class CountingServer:
    url: str
    sent: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self, inner: Any) -> Any:
        def counted(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            path = environ.get("PATH_INFO", "")
            size = 0
            result = inner(environ, start_response)
            try:
                for chunk in result:
                    size += len(chunk)
                    yield chunk
            finally:
                with self.lock:
                    self.sent.append((path, size))
                close = getattr(result, "close", None)
                if close is not None:
                    close()

        return counted

    def take(self) -> list[tuple[str, int]]:
        """The responses sent since the last call, and forget them."""
        with self.lock:
            sent, self.sent = self.sent, []
        return sent


def production_server(static_root: Path) -> Iterator[CountingServer]:
    overrides = {}
    for conn in connections.all():
        # An in-memory SQLite test database exists only in this connection: share it.
        if conn.vendor == "sqlite" and conn.is_in_memory_db():
            overrides[conn.alias] = conn
            conn.inc_thread_sharing()
    with override_settings(
        DEBUG=False,
        STATIC_ROOT=str(static_root),
        STORAGES=PRODUCTION_STORAGES,
        WHITENOISE_AUTOREFRESH=False,
        WHITENOISE_USE_FINDERS=False,
    ):
        httpd = ThreadedWSGIServer(
            ("localhost", 0), QuietWSGIRequestHandler, allow_reuse_address=False, connections_override=overrides
        )
        server = CountingServer(url=f"http://localhost:{httpd.server_address[1]}")
        httpd.set_app(server.app(WSGIHandler()))
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield server
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(5)
            for conn in overrides.values():
                conn.dec_thread_sharing()
