"""SMS delivery behind one function, the backend chosen by `SMS_BACKEND`.

* console — prints the message in a frame, bold on a terminal (development default);
* file — appends one JSON object per line to `SMS_FILE_PATH` (tests and demos read codes there);
* http — posts to a gateway: URL, auth header and body template from settings.
"""

from __future__ import annotations

import json
import logging
import sys
import textwrap
import unicodedata
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


class SmsError(Exception):
    pass


def sms_text(body: str) -> str:
    """Vietnamese without diacritics, as SMS in Vietnam is written.

    Diacritics force UCS-2 encoding (70 characters per message instead of 160) and some
    feature phones show them badly; every Vietnamese reader reads unaccented text.
    """
    body = body.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", body)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def send_sms(*, to: str, body: str) -> None:
    body = sms_text(body)
    backend = settings.SMS_BACKEND
    if backend == "console":
        sys.stdout.write(console_sms(to, body, bold=sys.stdout.isatty()))
        sys.stdout.flush()
    elif backend == "file":
        _send_file(to, body)
    elif backend == "http":
        _send_http(to, body)
    else:  # pragma: no cover - settings validate the name
        raise SmsError(f"unknown SMS backend {backend!r}")


def console_sms(to: str, body: str, *, bold: bool = False) -> str:
    """The development SMS as `make run`'s terminal shows it: framed (and bold on a terminal),
    so a sign-in code stands out among the server's and the worker's log lines."""
    lines = [f"SMS to {to}", *textwrap.wrap(body, width=72)]
    width = max(len(line) for line in lines)
    top, bottom = "╔" + "═" * (width + 2) + "╗", "╚" + "═" * (width + 2) + "╝"
    inner = [f"║ {line.ljust(width)} ║" for line in lines]
    text = "\n".join(["", top, *inner, bottom, ""]) + "\n"
    return f"\033[1m{text}\033[0m" if bold else text


def _send_file(to: str, body: str) -> None:
    path = Path(settings.SMS_FILE_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"to": to, "body": body, "at": timezone.now().isoformat()}, ensure_ascii=False)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _send_http(to: str, body: str) -> None:
    template = settings.SMS_HTTP_BODY_TEMPLATE
    # The template is JSON with {to} and {body} placeholders; values are JSON-escaped first.
    payload = template.replace("{to}", json.dumps(to)[1:-1]).replace("{body}", json.dumps(body)[1:-1])
    request = urllib.request.Request(  # noqa: S310 - URL comes from operator settings
        settings.SMS_HTTP_URL,
        data=payload.encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    if settings.SMS_HTTP_AUTH_HEADER:
        name, _, value = settings.SMS_HTTP_AUTH_HEADER.partition(":")
        request.add_header(name.strip(), value.strip())
    try:
        with urllib.request.urlopen(request, timeout=settings.SMS_HTTP_TIMEOUT_SECONDS) as resp:  # noqa: S310
            if resp.status >= 300:
                raise SmsError(f"gateway answered {resp.status}")
    except OSError as exc:
        logger.warning("SMS gateway failed for a message: %s", exc)
        raise SmsError(str(exc)) from exc
