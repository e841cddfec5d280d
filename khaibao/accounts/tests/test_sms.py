"""SMS backends: the file backend (tests, demos) and the HTTP gateway backend (production)."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest


def test_it_appends_one_json_object_per_message_to_the_file(api, sms, settings):
    api.post("/auth/otp/request", {"phone": "0912345678"})
    api.post("/auth/otp/request", {"phone": "0987654321"})

    lines = sms.path.read_text(encoding="utf-8").splitlines()

    assert len(lines) == 2
    first = json.loads(lines[0])
    assert set(first) == {"to", "body", "at"}
    assert first["to"] == "+84912345678"
    assert re.search(r"\b\d{6}\b", first["body"])
    assert datetime.fromisoformat(first["at"]).tzinfo is not None
    assert json.loads(lines[1])["to"] == "+84987654321"


class Gateway:
    def __init__(self, status: int = 200) -> None:
        self.requests: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                gateway.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length).decode(),
                    }
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings: Any) -> Any:
    gw = Gateway()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = gw.url
    settings.SMS_HTTP_AUTH_HEADER = "Authorization: Bearer gateway-secret"
    settings.SMS_HTTP_BODY_TEMPLATE = '{"msisdn": "{to}", "message": "{body}", "sender": "KHAIBAO"}'
    yield gw
    gw.close()


def test_it_posts_to_the_http_gateway_with_auth_and_template(api, gateway):
    resp = api.post("/auth/otp/request", {"phone": "0912345678"})

    assert resp.status_code == 202
    assert len(gateway.requests) == 1
    sent = gateway.requests[0]
    assert sent["path"] == "/send"
    assert sent["headers"]["Authorization"] == "Bearer gateway-secret"
    assert sent["headers"]["Content-Type"] == "application/json"
    payload = json.loads(sent["body"])
    assert payload["msisdn"] == "+84912345678"
    assert payload["sender"] == "KHAIBAO"
    code = re.search(r"\b(\d{6})\b", payload["message"]).group(1)
    assert api.post("/auth/otp/verify", {"phone": "0912345678", "code": code}).status_code == 200


def test_it_says_so_when_the_gateway_fails(api, settings):
    failing = Gateway(status=500)
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = failing.url
    try:
        resp = api.post("/auth/otp/request", {"phone": "0912345678"})
    finally:
        failing.close()
    # Tried a few times, then the citizen is told (never a 500, never "on its way").
    assert resp.status_code == 503
    assert resp.json()["error"]["code"] == "sms_not_sent"
    assert len(failing.requests) == settings.OTP_SMS_ATTEMPTS


def test_it_sends_vietnamese_without_diacritics(settings, sms):
    from khaibao.accounts.sms import send_sms

    send_sms(to="+84900000001", body="Khai Báo: mã đăng nhập của bạn là 123456. Đừng chia sẻ.")
    assert sms.messages()[-1]["body"] == "Khai Bao: ma dang nhap cua ban la 123456. Dung chia se."
