"""A sign-in code the SMS gateway did not take is sent again a few times, within a short deadline;
if it still fails the citizen is told so (web and API), may ask again at once, and operators see
the count in /healthz?detail — not only a log line."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client

from khaibao.core.tasks import worker_heartbeat


class FlakyGateway:
    """An SMS gateway on 127.0.0.1 answering the given statuses in turn (then 200), optionally slowly."""

    def __init__(self, statuses: list[int], delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.received: list[str] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                gateway.received.append(body)
                time.sleep(delay)
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings: Any) -> Iterator[Any]:
    made: list[FlakyGateway] = []

    def make(statuses: list[int], delay: float = 0.0) -> FlakyGateway:
        gw = FlakyGateway(statuses, delay)
        made.append(gw)
        settings.SMS_BACKEND = "http"
        settings.SMS_HTTP_URL = gw.url
        return gw

    yield make
    for gw in made:
        gw.close()


def test_it_retries_a_failed_send_and_the_code_works(api: Any, gateway: Any) -> None:
    gw = gateway([503, 500])

    resp = api.post("/auth/otp/request", {"phone": "0912345678"})

    assert resp.status_code == 202
    assert len(gw.received) == 3
    code = re.search(r"\b(\d{6})\b", gw.received[-1]).group(1)
    assert api.post("/auth/otp/verify", {"phone": "0912345678", "code": code}).status_code == 200


def test_it_says_the_code_was_not_sent_and_lets_the_citizen_ask_again(api: Any, gateway: Any, settings: Any) -> None:
    settings.OTP_SMS_ATTEMPTS = 3
    gw = gateway([503, 503, 503])

    resp = api.post("/auth/otp/request", {"phone": "0912345678"})

    assert resp.status_code == 503
    assert resp["Retry-After"] == str(settings.OTP_SMS_RETRY_AFTER_SECONDS)
    error = resp.json()["error"]
    assert error["code"] == "sms_not_sent"
    assert "chưa gửi được mã" in error["message"]  # in the citizen's language, Vietnamese first
    assert len(gw.received) == 3
    # No code left behind that would hold the cooldown: asking again works at once.
    assert api.post("/auth/otp/request", {"phone": "0912345678"}).status_code == 202


def test_it_keeps_the_request_short_when_the_gateway_hangs(api: Any, gateway: Any, settings: Any) -> None:
    settings.OTP_SMS_DEADLINE_SECONDS = 2
    gateway([200], delay=10)

    started = time.monotonic()
    resp = api.post("/auth/otp/request", {"phone": "0912345678"})

    assert resp.status_code == 503
    assert time.monotonic() - started < 4


def test_it_tells_the_citizen_on_the_sign_in_page(db: Any, gateway: Any) -> None:
    gateway([503] * 6)
    client = Client()

    resp = client.post("/sign-in/", {"phone": "0912345678"})

    assert resp.status_code == 200  # the same form again, not the "enter your code" step
    assert "Chúng tôi chưa gửi được mã qua SMS" in resp.content.decode()
    resp = client.post("/sign-in/", {"phone": "0912345678"}, headers={"Accept-Language": "en"})
    assert "We could not send the code by SMS" in resp.content.decode()


def test_it_counts_the_failures_for_operators(api: Any, gateway: Any, client: Client) -> None:
    worker_heartbeat.call("w1")
    gateway([503, 503, 503, 200])
    api.post("/auth/otp/request", {"phone": "0912345678"})
    api.post("/auth/otp/request", {"phone": "0912345679"})

    detail = client.get("/healthz?detail").json()

    assert detail["checks"]["sign_in_sms"]["failed_last_hour"] == 1
    assert detail["checks"]["sign_in_sms"]["sent_last_hour"] == 1
