"""SMS delivery behind one function, the backend chosen by `SMS_BACKEND`.

* console — prints the message in a frame, bold on a terminal (development default);
* file — appends one JSON object per line to `SMS_FILE_PATH` (tests and demos read codes there);
* http — posts to a gateway: URL, auth header and body template from settings.

`sms_fit` is the one rule that fits a text into one SMS (`SMS_MAX_CHARS`): every sender of a
long or variable text (notifications, campaign reminders, replies to inbound SMS) calls it.

`send_code_sms` is for one-time codes a person is waiting for on the screen: it retries a failed
gateway call a few times within a short deadline, counts what was sent and what could not be
(core/counters.py, shown in /healthz?detail), and tells the caller, who says so to the person.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import textwrap
import time
import unicodedata
import urllib.request
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.core.counters import counter_add
from khaibao.core.errors import ServiceError

logger = logging.getLogger(__name__)


class SmsError(Exception):
    pass


class SmsNotSent(ServiceError):
    """The gateway did not take a code after the retries: the person must be told, not reassured."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            _("We could not send the code by SMS. Please try again in a minute."), code="sms_not_sent"
        )
        self.retry_after = settings.OTP_SMS_RETRY_AFTER_SECONDS


def sms_text(body: str) -> str:
    """Vietnamese without diacritics, as SMS in Vietnam is written.

    Diacritics force UCS-2 encoding (70 characters per message instead of 160) and some
    feature phones show them badly; every Vietnamese reader reads unaccented text.
    """
    body = body.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", body)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# What marks a shortened body: "…", which `sms_text` writes "..." (GSM 03.38 has no ellipsis).
ELLIPSIS = "…"
# The last word a cut falls into, and what should not stand before the ellipsis.
_PARTIAL_WORD = re.compile(r"\s\S*$")
_DANGLING = " \t\r\n,;:.-–—"


def sms_fit(*, title: str = "", body: str = "", tail: str = "", title_sep: str = "\n", tail_sep: str = "\n") -> str:
    """`title`, `body` and `tail` as one SMS of at most `SMS_MAX_CHARS` characters, unaccented.

    The text is returned as it is sent (`sms_text`), and counted that way: `SMS_MAX_CHARS`
    counts characters of the unaccented text, everywhere. What gives way, in order: the title
    is dropped, then the end of the body is cut at a word boundary and marked "…" (the body
    goes altogether when there is no room for a word of it). The tail — a link, the keyword to
    text back, the sentence that says what to do — is never cut, so it must be short; only a
    tail longer than a whole SMS on its own (no sender writes one) is cut like a body, since
    the budget and the gateway count on one SMS. A text that fits is returned whole. Parts are
    joined by `title_sep` and `tail_sep`; an empty part takes no separator.
    """
    limit = settings.SMS_MAX_CHARS
    title, body, tail = sms_text(title), sms_text(body), sms_text(tail)
    for text in (_sms_join(title, body, tail, title_sep, tail_sep), _sms_join("", body, tail, title_sep, tail_sep)):
        if len(text) <= limit:
            return text
    if len(tail) > limit:
        return _sms_shorten(tail, limit)
    room = limit - (len(tail_sep) + len(tail) if tail else 0)
    return _sms_join("", _sms_shorten(body, room), tail, title_sep, tail_sep)


def _sms_join(title: str, body: str, tail: str, title_sep: str, tail_sep: str) -> str:
    text = title
    if body:
        text = f"{text}{title_sep}{body}" if text else body
    if tail:
        text = f"{text}{tail_sep}{tail}" if text else tail
    return text


def _sms_shorten(text: str, room: int) -> str:
    """`text` within `room` characters: cut before the word the limit falls into, then "…"."""
    if len(text) <= room:
        return text
    mark = sms_text(ELLIPSIS)
    keep = room - len(mark)
    if keep <= 0:
        return ""
    cut = text[:keep]
    if not text[keep].isspace():
        partial = _PARTIAL_WORD.search(cut)
        whole_words = cut[: partial.start()].rstrip(_DANGLING) if partial is not None else ""
        cut = whole_words or cut  # a single word longer than the room is cut inside
    cut = cut.rstrip(_DANGLING)
    return cut + mark if cut else ""


def send_sms(*, to: str, body: str, timeout: float | None = None) -> None:
    body = sms_text(body)
    backend = settings.SMS_BACKEND
    if backend == "console":
        sys.stdout.write(console_sms(to, body, bold=sys.stdout.isatty()))
        sys.stdout.flush()
    elif backend == "file":
        _send_file(to, body)
    elif backend == "http":
        _send_http(to, body, timeout if timeout is not None else settings.SMS_HTTP_TIMEOUT_SECONDS)
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


def _send_http(to: str, body: str, timeout: float) -> None:
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
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            if resp.status >= 300:
                raise SmsError(f"gateway answered {resp.status}")
    except OSError as exc:
        logger.warning("SMS gateway failed for a message: %s", exc)
        raise SmsError(str(exc)) from exc


def send_code_sms(*, to: str, body: str, counter: str) -> bool:
    """Send a one-time code, retrying a failed attempt, all within OTP_SMS_DEADLINE_SECONDS.

    At most OTP_SMS_ATTEMPTS attempts, 0.3 s then 0.9 s apart: a gateway that blinked gets a
    second chance while the person still waits on the page; one that is down does not keep the
    request (and its server process) for more than the deadline. Counts `<counter>.sent` or
    `<counter>.failed` for operators. True when the gateway took the message.
    """
    deadline = time.monotonic() + settings.OTP_SMS_DEADLINE_SECONDS
    attempts = max(1, settings.OTP_SMS_ATTEMPTS)
    for attempt in range(attempts):
        remaining = deadline - time.monotonic()
        try:
            send_sms(to=to, body=body, timeout=max(0.5, min(settings.SMS_HTTP_TIMEOUT_SECONDS, remaining)))
        except (SmsError, OSError):  # logged by the backend
            pause = 0.3 * 3**attempt
            if attempt + 1 < attempts and deadline - time.monotonic() > pause + 0.5:
                time.sleep(pause)
                continue
            break
        counter_add(f"{counter}.sent")
        return True
    counter_add(f"{counter}.failed")
    logger.error("code SMS could not be sent after %s attempts (%s.failed)", attempts, counter)
    return False
