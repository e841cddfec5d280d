"""One submission, one record: the submission key of the citizen forms that work offline.

The daily-update and declaration forms carry a hidden `submission_key` (a UUID, renewed by
static/js/offline.js on every page load). A form posted offline is kept by the service worker
with its key and posted again, unchanged, when the connection returns — possibly more than once
(Background Sync retries, a second open tab, a response lost on a flaky network). The first post
with a key runs the view and, if it succeeded (a redirect), stores that answer in the same
transaction as the write; every later post with the same key gets the stored answer and writes
nothing. This is the page-side twin of the API's `Idempotency-Key`, in the same store
(khaibao/core/idempotency.py):
the queue replays the very form post the page would have sent, so the same form parsing,
service call and field errors apply, and no JSON mapping of the forms is needed in JavaScript.

Posts from the service worker's queue say so with `X-Khaibao-Outbox: 1`; they get `204` with
`X-Khaibao-Recorded: <status page>` instead of the redirect, so the worker can tell "recorded"
from "sent to the sign-in page" (a redirect it cannot read) without loading the status page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from khaibao.core import crypto
from khaibao.core.idempotency import idempotency_record_live, idempotency_record_store

FIELD = "submission_key"
OUTBOX_HEADER = "X-Khaibao-Outbox"
RECORDED_HEADER = "X-Khaibao-Recorded"
# The CSRF token is left out of the fingerprint: a queued post retried after sign-in carries a
# fresh token but is the same submission.
_NOT_ANSWERS = {"csrfmiddlewaretoken"}


def _fingerprint(request: HttpRequest) -> str:
    items = sorted((k, v) for k in request.POST if k not in _NOT_ANSWERS for v in request.POST.getlist(k))
    raw = "\n".join([request.method or "", request.path, *(f"{k}={v}" for k, v in items)])
    return crypto.request_digest(raw.encode())


def _answer(request: HttpRequest, location: str) -> HttpResponse:
    if request.headers.get(OUTBOX_HEADER):
        response = HttpResponse(status=204)
        response[RECORDED_HEADER] = location
        return response
    response = HttpResponse(status=302)
    response["Location"] = location
    return response


def submission_once(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a form view at most once per (account, submission key); replay its redirect afterwards.

    Goes inside `login_required`: only signed-in posts carry keys worth remembering. A post
    without a key (an old cached page, a script-less browser with the server-rendered key
    already used) behaves as before. A refused post (form errors) stores nothing, so it can be
    corrected and sent again with the same key.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.POST.get(FIELD, "").strip() if request.method == "POST" else ""
        if not key or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if len(key) > 255:
            return HttpResponse(_("The form's submission key is too long."), status=400, content_type="text/plain; charset=utf-8")
        owner = f"web:{request.user.pk}"
        digest = _fingerprint(request)
        existing = idempotency_record_live(owner=owner, key=key)
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
                    return _answer(request, location)
            except IntegrityError:
                # A concurrent post with the same key committed first; ours rolled back whole.
                existing = idempotency_record_live(owner=owner, key=key)
                if existing is None:
                    raise
        if existing.request_hash != digest:
            return HttpResponse(
                _("This form was already sent with other answers. Open the form again and send it anew."),
                status=422, content_type="text/plain; charset=utf-8",
            )
        return _answer(request, bytes(existing.body).decode())

    return wrapped
