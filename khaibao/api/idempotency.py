"""`Idempotency-Key` for every write under /api/ — POST, PUT, PATCH, DELETE (retries from flaky
mobile networks; docs/api.md lists the write endpoints).

A PUT is idempotent by itself only as long as nothing else happened in between: a late retry of
yesterday's daily update would replace a newer one. With a key, it is answered like a create
(issue 18, item 5); without one, it keeps its PUT semantics.

The view runs inside one transaction together with the insert of the key's record, so:
* a replay with the same key and body returns the stored response, with no second write;
* the same key with a different body answers 422;
* two concurrent first attempts cannot both write: the loser's unique-key insert fails, its
  whole transaction (its write included) rolls back and it replays the winner's response.
Only successful (2xx) responses are stored; a refused request may be corrected and retried.
A streamed export (POST /exports, POST /orgs/{id}/chase: the answer names its job in
X-Export-Id) is stored as its job's id only (`EXPORT_REPLAY_TYPE`), never the file's content: a
replay streams that job's kept file again through the exports owner (`export_replay`), or answers
410 `export_expired` as the download link does once the file is gone.
A view that calls `idempotency_afresh` (a disclosure: the full ID number of a case, a pass's
verdict) keeps only a marker under its key, never its answer: a replay with the same body runs the
view again — the caller's access checked and the look audited again, the verdict of now — and a
different body still answers 422. The view says so itself, whatever path reached it (`/cases/+5/`
is the view of `/cases/5/` to ninja). A stored answer would hand the ID number back for a day to an
official who lost the person (a break-glass grant ended, a move to another ward), unaudited.
A write whose answer carries someone's health data (a case action, a contact registered) calls
`idempotency_checked` once it has asked the access layer: its answer is kept, marked so that a
replay runs the view again up to that call — the caller's access checked and the look audited
again, an official who lost the person answered 404 — and only then hands the stored answer back,
with nothing written twice.
The records, their expiry and their purge belong to khaibao/core/idempotency.py.

A route declared with `idempotency_outside_transaction` (the sign-in code's request) is not run
inside that transaction: its view commits its own writes, then sends an SMS, and its 2xx answer is
stored after it — the SMS never waits inside the key's transaction, nor carries a code that a
failed commit rolls back.

Whose a key is (`_owner`): the account of the request's bearer token; for a route declared with
`idempotency_owned_by` (sign-in and refresh, which carry no token), the credential the body
carries — a refresh token, a phone — so that a retry from another network (Wi-Fi to 4G: the usual
way an answer is lost) is recognised, and only a request carrying that credential (and the same
body: the code, the token) can replay its answer; the client address (hashed) only for a call
that carries nothing (an anonymous report). A route declared with `body_secret` (the sign-in code's
check: its owner, a phone, is public) forgets the stored answer when its key comes with a different
body (422 as usual): the same key with another code is a guess at the code that opened the session
— answered "no" without the view counting it, and "here are the tokens" for the right one. A real
retry sends the same body; a guesser gets one guess per key.

A route declared with `idempotency_in_write` (the daily update: issue 19) stores its key's answer
in its own write statement instead (`KeyClaim`): no lookup before the view and no INSERT after it —
two round trips fewer. The record's unique violation undoes that whole statement, so what was
looked up first is found after: the key's live answer is replayed (or 422) and the view's writes
are rolled back; an expired one is deleted and the request runs again as above. Whatever the view
did not store in its write (another path of it, an error answer) is settled after it, in the same
transaction: a live record replaces the answer (the writes rolled back), else a 2xx is stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _

from khaibao.api.auth import request_account
from khaibao.core import crypto
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip, error_response
from khaibao.core.idempotency import (
    idempotency_record_forget,
    idempotency_record_live,
    idempotency_record_store,
)
from khaibao.core.models import IdempotencyRecord
from khaibao.exports import downloads as export_downloads
from khaibao.exports.responses import EXPORT_ID_HEADER, export_download_response

HEADER = "Idempotency-Key"
# Every method that writes: a key sent with any of them is honoured, never silently ignored.
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The stored answer of a streamed export: {"export_id": <job id>}, replayed as that job's file.
EXPORT_REPLAY_TYPE = "application/vnd.khaibao.export-replay+json"
# The marker kept for an `idempotency_afresh` route's answer (an empty body).
AFRESH_TYPE = "application/vnd.khaibao.answered-afresh"
# Put before the stored content type of an `idempotency_checked` route's answer: replayed only
# through its view, once the view has checked the caller's access again.
CHECKED_PREFIX = "checked;"
# What `idempotency_key_read` returns for a key the middleware refuses (blank or too long).
INVALID_KEY = ""


def idempotency_owner(request: HttpRequest) -> str:
    """Under whom `request`'s key is kept: its account, or else its address (hashed)."""
    return _owner(request)


def idempotency_digest(request: HttpRequest) -> str:
    """What a replay must match: the method, the path and the body (keyed: crypto.request_digest)."""
    return crypto.request_digest(b"\n".join([(request.method or "").encode(), request.path.encode(), request.body]))


def idempotency_key_read(request: HttpRequest) -> str | None:
    """The one reading of a request's Idempotency-Key: None when it is not a write under /api/ or
    carries no key; INVALID_KEY ("") for a key the middleware refuses with 400
    `invalid_idempotency_key` (blank, or over 255 characters); else the key, stripped. Whatever
    reads a key before the middleware (the rush lane) calls this, so that it refuses the same keys."""
    key = request.headers.get(HEADER)
    if key is None or request.method not in METHODS or not request.path.startswith("/api/"):
        return None
    key = key.strip()
    return key if len(key) <= 255 else INVALID_KEY


def idempotency_key(request: HttpRequest) -> str | None:
    """The request's usable Idempotency-Key of a write under /api/; None when it has none or one the
    middleware refuses (it answers that request itself)."""
    return idempotency_key_read(request) or None


def idempotency_answer(record: IdempotencyRecord, digest: str) -> HttpResponse:
    """The answer to a request whose key has a live `record`: its stored answer replayed, or 422
    when the request differs from the one that stored it (a route that streams no export, whose
    view neither answers afresh nor checks access on a replay: the daily update)."""
    return _conflict(record, digest) or _replay_stored(record)


@dataclass
class KeyClaim:
    """A request's Idempotency-Key left to the view of an `idempotency_in_write` route: the view
    inserts `record(...)` with its write and says so (`stored`), or says that the write met the
    key's record (`conflict`: its transaction is spoilt and rolled back)."""

    owner: str
    key: str
    digest: str
    method: str
    path: str
    stored: bool = False
    conflict: bool = False

    def record(self, *, status_code: int, content_type: str, body: bytes) -> IdempotencyRecord:
        """The unsaved record of the answer (`status_code` may be replaced by the write, computed
        from the written row)."""
        return IdempotencyRecord(
            owner=self.owner, key=self.key, method=self.method, path=self.path[:500], request_hash=self.digest,
            status_code=status_code, content_type=content_type, body=body,
        )


# (method, path pattern, when) of the routes whose view stores its key's answer in its own write.
_IN_WRITE: list[tuple[str, re.Pattern[str], Callable[[], bool]]] = []


def idempotency_in_write(method: str, path: str, *, when: Callable[[], bool]) -> None:
    """Declare that the view of `method` `path` (a regular expression over the whole path) stores
    its key's answer in its own write statement (`idempotency_claim`) whenever `when()` — the
    view's own condition for writing in one statement (the route's owner decides, e.g.
    monitoring.statements `writes_in_one_statement`)."""
    _IN_WRITE.append((method, re.compile(path), when))


def idempotency_afresh(request: HttpRequest) -> None:
    """Called by a view that discloses what the caller's access must allow each time: its answer is
    not kept under the request's key, only a marker; a replay with the same body is answered afresh
    by the view, one with another body 422."""
    request.idempotency_afresh = True  # type: ignore[attr-defined]


def idempotency_checked(request: HttpRequest) -> HttpResponse | None:
    """Called by a write view right after it has asked the access layer (which audits the look),
    when its answer carries someone's health data: the stored answer to hand back when the request
    replays its key, else None — the view writes, and its answer is kept marked so that a replay
    comes back through the view, to this call, first. So an official who lost the person since
    (a move to another ward, a break-glass grant ended) is answered 404 by the access layer, and
    one who still has them gets the first answer, audited, with nothing written twice."""
    request.idempotency_checked = True  # type: ignore[attr-defined]
    replay: HttpResponse | None = getattr(request, "idempotency_replay", None)
    return replay


# (method, path pattern, credential) of the routes whose keys are kept under the credential the
# request's body carries.
_OWNED_BY: list[tuple[str, re.Pattern[str], str, Callable[[HttpRequest], str | None]]] = []
# (method, path pattern) of the owned routes whose body carries a secret their owner does not.
_BODY_SECRET: list[tuple[str, re.Pattern[str]]] = []


def idempotency_owned_by(
    method: str, path: str, *, name: str, credential: Callable[[HttpRequest], str | None], body_secret: bool = False
) -> None:
    """Declare that the keys of `method` `path` (a regular expression over the whole path) are kept
    under `credential(request)` — the secret or identifier the request carries instead of a token
    (a refresh token, a phone in E.164), read from the body the way the view reads it; None when it
    carries none the view would accept (the client address is used then) — hashed (keyed) under
    `name`. Only a route that carries no bearer token needs this: the key's owner must not depend
    on the network the retry comes from. `body_secret`: the body carries a secret the credential
    does not (a code beside a phone); another body under the key forgets its answer."""
    _OWNED_BY.append((method, re.compile(path), name, credential))
    if body_secret:
        _BODY_SECRET.append((method, re.compile(path)))


# (method, path pattern) of the routes whose view runs outside the key's transaction.
_OUTSIDE: list[tuple[str, re.Pattern[str]]] = []


def idempotency_outside_transaction(method: str, path: str) -> None:
    """Declare that the view of `method` `path` commits its own writes and then talks to the outside
    world before answering (the sign-in code's SMS, sent once its code is stored, withdrawn when the
    gateway refuses it): it is not run inside the key's transaction — which would hold the view's
    locks while the SMS goes out, and send a code that a failed commit then rolls back — and its 2xx
    answer is stored after it, in a transaction of its own."""
    _OUTSIDE.append((method, re.compile(path)))


def idempotency_claim(request: HttpRequest) -> KeyClaim | None:
    """The Idempotency-Key the view must store in its write, or None (no key, another route,
    no one-statement write: the middleware looked it up and stores the answer itself)."""
    return getattr(request, "idempotency_claim", None)


def _in_write(request: HttpRequest) -> bool:
    path = request.path_info
    return any(request.method == method and pattern.fullmatch(path) and when() for method, pattern, when in _IN_WRITE)


def _owner(request: HttpRequest) -> str:
    # A declared credential first, even beside a token: an app may send its (expired) access
    # token with a refresh, and the retry must land on the same owner either way.
    path = request.path_info
    for method, pattern, name, credential in _OWNED_BY:
        if request.method == method and pattern.fullmatch(path):
            value = credential(request)
            if value:
                return f"{name}:" + crypto.blind_index(value, purpose=f"idempotency-{name}")[:40]
            break
    account = request_account(request)
    if account is not None:
        return f"account:{account.pk}"
    return "anon:" + crypto.blind_index(client_ip(request), purpose="idempotency-ip")[:32]


def _conflict(record: IdempotencyRecord, digest: str) -> HttpResponse | None:
    if record.request_hash == digest:
        return None
    return error_response(
        422,
        "idempotency_key_reused",
        _("This Idempotency-Key was already used with a different request."),
        {HEADER: _("Use a new key for a different request.")},
    )


def _replay_stored(record: IdempotencyRecord) -> HttpResponse:
    content_type = record.content_type.removeprefix(CHECKED_PREFIX)
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def _answer_existing(
    record: IdempotencyRecord, digest: str, request: HttpRequest, view: Callable[[HttpRequest], HttpResponse]
) -> HttpResponseBase:
    conflict = _conflict(record, digest)
    if conflict is not None:
        if any(request.method == method and pattern.fullmatch(request.path_info) for method, pattern in _BODY_SECRET):
            idempotency_record_forget(record)  # a guess at the code or token it carried: one per key
        return conflict
    if record.content_type == AFRESH_TYPE:
        return view(request)  # a disclosure: the view answers again, checks and audits again
    if record.content_type.startswith(CHECKED_PREFIX):
        # The view checks the caller's access again (404 and audited when lost), then hands this
        # back through `idempotency_checked`: nothing is written again.
        request.idempotency_replay = _replay_stored(record)  # type: ignore[attr-defined]
        try:
            return view(request)
        finally:
            request.idempotency_replay = None  # type: ignore[attr-defined]
    if record.content_type != EXPORT_REPLAY_TYPE:
        return _replay_stored(record)
    response = _replay_export(record, request)
    response["Idempotent-Replayed"] = "true"
    return response


def _replay_export(record: IdempotencyRecord, request: HttpRequest) -> HttpResponseBase:
    job_id = json.loads(bytes(record.body))["export_id"]
    try:
        download = export_downloads.export_replay(
            actor=request_account(request), job_id=job_id, ip=client_ip(request)
        )
    except ServiceError as exc:  # ExportExpired: 410, as the download link answers
        return error_response(exc.status, exc.code, exc.message, exc.fields)
    except Http404:
        return error_response(404, "not_found", _("Not found."))
    return export_download_response(download)


def _stored_answer(response: HttpResponseBase) -> tuple[str, bytes] | None:
    """(content type, body) to keep for a 2xx `response`; None for a streamed answer that is not
    an export's (it cannot be replayed)."""
    if not getattr(response, "streaming", False):
        return response.get("Content-Type", "application/json"), response.content  # type: ignore[attr-defined]
    job_id = response.get(EXPORT_ID_HEADER)
    if not job_id:
        return None
    return EXPORT_REPLAY_TYPE, json.dumps({"export_id": int(job_id)}).encode()


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = idempotency_key_read(request)
        if key is None:
            return self.get_response(request)
        if key == INVALID_KEY:
            return error_response(
                400,
                "invalid_idempotency_key",
                _("Idempotency-Key must be 1 to 255 characters."),
                {HEADER: _("Idempotency-Key must be 1 to 255 characters.")},
            )
        owner = _owner(request)
        digest = idempotency_digest(request)
        if _in_write(request):
            answered = self._claimed(request, owner, key, digest)
            if answered is not None:
                return answered
        existing = idempotency_record_live(owner=owner, key=key)
        if existing is not None:
            return _answer_existing(existing, digest, request, self.get_response)
        outside = any(request.method == method and pattern.fullmatch(request.path_info) for method, pattern in _OUTSIDE)
        try:
            if outside:
                response = self.get_response(request)
                if not 200 <= response.status_code < 300:
                    # Refused (e.g. the cooldown) because a concurrent first try with this key won.
                    winner = idempotency_record_live(owner=owner, key=key)
                    return response if winner is None else _answer_existing(winner, digest, request, self.get_response)
                with transaction.atomic():
                    return self._settle(request, response, owner, key, digest)
            with transaction.atomic():
                return self._settle(request, self.get_response(request), owner, key, digest)
        except IntegrityError:
            # A concurrent request with the same key committed first; ours rolled back whole.
            winner = idempotency_record_live(owner=owner, key=key)
            if winner is None:
                raise
            return _answer_existing(winner, digest, request, self.get_response)

    def _claimed(self, request: HttpRequest, owner: str, key: str, digest: str) -> HttpResponseBase | None:
        """The view stores the key's answer with its write (`KeyClaim`). None: the key's record had
        expired (deleted now) or a concurrent request's answer could not be found: the caller runs
        the request again the usual way."""
        claim = KeyClaim(owner=owner, key=key, digest=digest, method=request.method or "", path=request.path)
        request.idempotency_claim = claim  # type: ignore[attr-defined]
        response: HttpResponse | None = None
        try:
            with transaction.atomic():
                response = self.get_response(request)
                if claim.stored:
                    return response
                if not claim.conflict and response.status_code < 500 and not transaction.get_rollback():
                    # The view's write did not store it: what the lookup would have found first.
                    existing = idempotency_record_live(owner=owner, key=key)
                    if existing is not None:
                        transaction.set_rollback(True)
                        return _answer_existing(existing, digest, request, self.get_response)
                    return self._settle(request, response, owner, key, digest)
                # The write met the key's record (`conflict`), or the view failed: nothing of it is kept.
                transaction.set_rollback(True)
        except IntegrityError:
            response = None  # a concurrent request stored the key first; ours rolled back whole
        finally:
            request.idempotency_claim = None  # type: ignore[attr-defined]
        winner = idempotency_record_live(owner=owner, key=key)
        if winner is not None:
            return _answer_existing(winner, digest, request, self.get_response)
        return None if claim.conflict or response is None else response

    @staticmethod
    def _settle(request: HttpRequest, response: HttpResponse, owner: str, key: str, digest: str) -> HttpResponse:
        # Inside the view's transaction: store a 2xx answer under the key (IntegrityError when a
        # concurrent request stored it first) — only a marker of it for a view that answers afresh;
        # roll back a 5xx.
        afresh = getattr(request, "idempotency_afresh", False)
        stored: tuple[str, bytes] | None = (AFRESH_TYPE, b"") if afresh else _stored_answer(response)
        if stored is not None and getattr(request, "idempotency_checked", False):
            stored = (CHECKED_PREFIX + stored[0], stored[1])
        stored = stored if 200 <= response.status_code < 300 else None
        if stored is None:
            if response.status_code >= 500:
                transaction.set_rollback(True)
            return response
        content_type, body = stored
        idempotency_record_store(
            owner=owner,
            key=key,
            method=request.method or "",
            path=request.path,
            request_hash=digest,
            status_code=response.status_code,
            content_type=content_type,
            body=body,
        )
        return response
