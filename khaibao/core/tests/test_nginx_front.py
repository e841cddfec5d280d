"""The reverse proxy in front of the app servers (scripts/nginx-front.sh, docs/operations.md
"Overload"): what it admits reaches the app unchanged — the app's own 503 with its Retry-After
included — and what it does not admit is refused at once with 503, Retry-After and, as the app
refuses, the API's error body for the API and plain text for pages, in the first language the
request lists (the words of the app's catalogue). The health check is never refused."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext

ROOT = Path(__file__).resolve().parents[3]
BUSY = "The service is busy. Please try again in a few seconds."

pytestmark = pytest.mark.skipif(
    shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
    reason="nginx is installed by `make setup` (scripts/ensure-debian-packages.sh)",
)


class _App(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/busy":  # the app's own refusal
            body = b'{"error": {"code": "overloaded", "message": "app", "fields": {}}}'
            self.send_response(503)
            self.send_header("Retry-After", "7")
        else:
            body = json.dumps({"path": self.path, "start": self.headers.get("X-Request-Start")}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def front(tmp_path: Path) -> Iterator[int]:
    app = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port = _free_port()
    # A copy of the script in its own tree, so its var/ is this test's.
    (tmp_path / "scripts").mkdir()
    script = tmp_path / "scripts" / "nginx-front.sh"
    shutil.copy(ROOT / "scripts" / "nginx-front.sh", script)
    env = {
        **os.environ, "FRONT_PORT": str(port), "UPSTREAM_PORT": str(app.server_address[1]),
        "ADMIT_RATE": "2", "ADMIT_BURST": "3", "PATH": os.environ.get("PATH", "") + ":/usr/sbin",
    }
    subprocess.run(["bash", str(script), "start"], env=env, check=True, capture_output=True)
    try:
        yield port
    finally:
        subprocess.run(["bash", str(script), "stop"], env=env, check=False, capture_output=True)
        app.shutdown()


def _get(port: int, path: str = "/", language: str = "") -> tuple[int, dict[str, str], bytes]:
    headers = {"X-Request-Start": "t=1.000"}
    if language:
        headers["Accept-Language"] = language
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a local URL
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_it_admits_up_to_its_rate_and_refuses_the_rest_at_once_in_the_apis_format(front: int) -> None:
    answers = [_get(front, "/api/v1/x", "en-GB,en;q=0.9") for _ in range(12)]
    admitted = [a for a in answers if a[0] == 200]
    refused = [a for a in answers if a[0] == 503]
    assert len(admitted) + len(refused) == 12
    assert 3 <= len(admitted) <= 5  # the burst, and what the rate adds while they are sent
    # Admitted requests reach the app as sent: the path and the client's stamp.
    assert json.loads(admitted[0][2]) == {"path": "/api/v1/x", "start": "t=1.000"}
    _status, headers, body = refused[0]
    assert headers["Retry-After"] == "2"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(body) == {"error": {"code": "overloaded", "message": BUSY, "fields": {}}}


def test_its_refusal_speaks_vietnamese_by_default_in_the_apps_words(front: int) -> None:
    answers = [_get(front, "/api/v1/x") for _ in range(12)]
    _status, headers, body = next(a for a in answers if a[0] == 503)
    with translation.override("vi"):
        expected = gettext(BUSY)
    assert expected != BUSY  # the catalogue has it
    assert json.loads(body)["error"]["message"] == expected
    assert headers["Content-Language"] == "vi"


def test_a_page_is_refused_in_plain_text_as_the_app_refuses_it(front: int) -> None:
    answers = [_get(front, "/staff/", "en") for _ in range(12)]
    _status, headers, body = next(a for a in answers if a[0] == 503)
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Retry-After"] == "2"
    assert body.decode() == BUSY


def test_the_language_is_the_first_one_the_request_lists(front: int) -> None:
    answers = [_get(front, "/api/v1/x", "fr-FR, en;q=0.8") for _ in range(12)]
    _status, headers, body = next(a for a in answers if a[0] == 503)
    assert headers["Content-Language"] == "vi"  # not English first: the country's language
    assert headers["Vary"] == "Accept-Language"
    assert json.loads(body)["error"]["message"] != BUSY


def test_the_health_check_is_never_refused(front: int) -> None:
    assert [_get(front, "/healthz")[0] for _ in range(15)] == [200] * 15


def test_the_apps_own_refusal_passes_through_unchanged(front: int) -> None:
    status, headers, body = _get(front, "/busy")
    assert (status, headers["Retry-After"], json.loads(body)["error"]["message"]) == (503, "7", "app")
