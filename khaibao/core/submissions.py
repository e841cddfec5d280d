"""One submission, one record: the submission key of the forms that create something.

Pages of two faces use it: the citizen forms that work offline (web) and the officials' and org
admins' publishing forms (backoffice: a zone or place published twice warns everyone twice). It
lives in core because faces never import each other; `khaibao/web/submissions.py` re-exports it.

The forms carry a hidden `submission_key` (a UUID: on the citizen pages renewed by
static/js/offline.js on every page load; on the console the form's `submission_key_field()`,
fresh on each unbound form and kept across a preview or a refused post). A form posted offline is
kept by the service worker with its key and posted again, unchanged, when the connection
returns — possibly more than once (Background Sync retries, a second open tab, a response lost on
a flaky network); a console form is posted twice by a double click or a resubmit after a slow
answer. The first post with a key runs the view and, if it succeeded (a redirect), stores that
answer in the same transaction as the write; every later post with the same key gets the stored
answer and writes nothing. This is the page-side twin of the API's `Idempotency-Key`, in the
same store (khaibao/core/idempotency.py): the same form parsing, service call and field errors
apply, and no JSON mapping of the forms is needed in JavaScript.

Posts from the service worker's queue say so with `X-Khaibao-Outbox: 1`; they get `204` with
`X-Khaibao-Recorded: <status page>` instead of the redirect, so the worker can tell "recorded"
from "sent to the sign-in page" (a redirect it cannot read) without loading the status page.

The declaration forms also say `same_answers_minutes`: Back after sending shows the form again
with a new key (every page view is a new submission, so that a form kept offline is never taken
for an earlier one) while the browser restores the answers, and sending it again would record a
second, identical declaration (review-browser finding 7). So the same answers posted by the same
account to the same form (the path names the person) within that many minutes, under another
key, are answered as the first was — its redirect, with "already recorded at HH:MM" — and write
nothing. Only while they are still the latest answers sent there: one record per (account,
form) holds the digest of the last answers recorded, replaced by each new one, so a correction
back to earlier answers ("fever", "no symptoms", "fever" after all) is a new declaration, never
taken for the first. The API's `Idempotency-Key` is untouched (its clients keep their key
across retries), and it costs the form posts one more read of the store.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.core import crypto
from khaibao.core.idempotency import idempotency_record_live, idempotency_record_store
from khaibao.core.models import IdempotencyRecord

FIELD = "submission_key"
OUTBOX_HEADER = "X-Khaibao-Outbox"
RECORDED_HEADER = "X-Khaibao-Recorded"
# The CSRF token is left out of the fingerprint: a queued post retried after sign-in carries a
# fresh token but is the same submission.
_NOT_ANSWERS = {"csrfmiddlewaretoken"}


def submission_key_field() -> forms.CharField:
    """The hidden key of a server-rendered form: a new UUID on each unbound form; a bound one
    (a preview, field errors) keeps the posted key, which has stored nothing yet."""
    return forms.CharField(required=False, max_length=255, widget=forms.HiddenInput, initial=lambda: str(uuid.uuid4()))


def _fingerprint(request: HttpRequest) -> str:
    items = sorted((k, v) for k in request.POST if k not in _NOT_ANSWERS for v in request.POST.getlist(k))
    raw = "\n".join([request.method or "", request.path, *(f"{k}={v}" for k, v in items)])
    return crypto.request_digest(raw.encode())


def _answers_digest(request: HttpRequest) -> str:
    # The post without its key: what a Back-and-send-again repeats byte for byte.
    items = sorted((k, v) for k in request.POST if k not in _NOT_ANSWERS | {FIELD} for v in request.POST.getlist(k))
    raw = "\n".join(["same-answers", request.path, *(f"{k}={v}" for k, v in items)])
    return crypto.request_digest(raw.encode())


def _latest_key(request: HttpRequest) -> str:
    # One record per (account, form): the path names the form and the person.
    return f"latest-answers:{crypto.request_digest(request.path.encode())}"


def _same_answers_first(owner: str, key: str, answers: str, now: datetime, minutes: int) -> IdempotencyRecord | None:
    """The record of the latest answers sent to this form, if they are these and recent."""
    record = idempotency_record_live(owner=owner, key=key)
    if record is None or record.request_hash != answers or record.created_at < now - timedelta(minutes=minutes):
        return None
    return record


def _latest_store(
    owner: str, key: str, request: HttpRequest, answers: str, minutes: int, status_code: int, location: str
) -> None:
    """Make these answers the latest of this form. Raises IntegrityError when a concurrent post
    of the same answers recorded them first (the caller rolls back and answers as the first)."""
    now = timezone.now()
    values = {"request_hash": answers, "status_code": status_code, "body": location.encode(), "created_at": now}
    record = IdempotencyRecord.objects.filter(owner=owner, key=key)
    # Not over a live record of these very answers: on PostgreSQL an UPDATE that waited for a
    # concurrent post's row re-reads it, so the second of two identical posts updates nothing.
    repeat = Q(request_hash=answers, created_at__gte=now - timedelta(minutes=minutes))
    if record.exclude(repeat).update(**values):
        return
    if not record.exists():
        try:
            with transaction.atomic():
                idempotency_record_store(
                    owner=owner, key=key, method="POST", path=request.path, request_hash=answers,
                    status_code=status_code, content_type="", body=location.encode(),
                )
            return
        except IntegrityError:
            # A concurrent first post to this form committed its record meanwhile.
            if record.exclude(repeat).update(**values):
                return
    raise IntegrityError("these answers were recorded by a concurrent post")


def _answer_repeat(request: HttpRequest, first: IdempotencyRecord) -> HttpResponse:
    if not request.headers.get(OUTBOX_HEADER):
        messages.info(
            request,
            _("These answers were already recorded at %(time)s; sending them again records nothing new.")
            % {"time": timezone.localtime(first.created_at).strftime("%H:%M")},
        )
    return _answer(request, bytes(first.body).decode())


def _answer(request: HttpRequest, location: str) -> HttpResponse:
    if request.headers.get(OUTBOX_HEADER):
        response = HttpResponse(status=204)
        response[RECORDED_HEADER] = location
        return response
    response = HttpResponse(status=302)
    response["Location"] = location
    return response


def submission_once(
    view: Callable[..., HttpResponse] | None = None, *, same_answers_minutes: int = 0
) -> Any:
    """Run a form view at most once per (account, submission key); replay its redirect afterwards.

    Goes inside `login_required` (or the console's own sign-in check): only signed-in posts carry
    keys worth remembering. A post without a key (an old cached page, a script-less browser with
    the server-rendered key already used) behaves as before. A refused post (form errors) stores
    nothing, so it can be corrected and sent again with the same key. With
    `same_answers_minutes`, the latest answers sent again under a new key within that many
    minutes are answered as the first (module docstring).
    """
    if view is None:
        return lambda v: submission_once(v, same_answers_minutes=same_answers_minutes)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.POST.get(FIELD, "").strip() if request.method == "POST" else ""
        if not key or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if len(key) > 255:
            return HttpResponse(_("The form's submission key is too long."), status=400, content_type="text/plain; charset=utf-8")
        # The owner the erasure forgets (core.idempotency.account_owners), staff accounts alike.
        owner = f"web:{request.user.pk}"
        digest = _fingerprint(request)
        now = timezone.now()
        latest = _latest_key(request) if same_answers_minutes else ""
        answers = _answers_digest(request) if same_answers_minutes else ""
        existing = idempotency_record_live(owner=owner, key=key)
        if existing is None and latest:
            first = _same_answers_first(owner, latest, answers, now, same_answers_minutes)
            if first is not None:
                return _answer_repeat(request, first)
        if existing is None:
            try:
                with transaction.atomic():
                    response = view(request, *args, **kwargs)
                    if response.status_code not in (301, 302, 303):
                        if response.status_code >= 500:
                            transaction.set_rollback(True)
                        return response
                    location = response["Location"]
                    idempotency_record_store(
                        owner=owner, key=key, method="POST", path=request.path, request_hash=digest,
                        status_code=response.status_code, content_type="", body=location.encode(),
                    )
                    if latest:
                        _latest_store(
                            owner, latest, request, answers, same_answers_minutes, response.status_code, location
                        )
                    return _answer(request, location)
            except IntegrityError:
                # A concurrent post with the same key (or the same answers) committed first; ours
                # rolled back whole.
                existing = idempotency_record_live(owner=owner, key=key)
                if existing is None:
                    first = _same_answers_first(owner, latest, answers, now, same_answers_minutes) if latest else None
                    if first is None:
                        raise
                    return _answer_repeat(request, first)
        if existing.request_hash != digest:
            return HttpResponse(
                _("This form was already sent with other answers. Open the form again and send it anew."),
                status=422, content_type="text/plain; charset=utf-8",
            )
        return _answer(request, bytes(existing.body).decode())

    return wrapped
