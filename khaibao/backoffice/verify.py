"""The checkpoint's pass-verification page: scan with the camera or type/paste the code."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.passes.decision import pass_decision
from khaibao.passes.labels import reason_message
from khaibao.passes.signing import MAX_TOKEN_LENGTH
from khaibao.passes.verify import can_verify_passes, pass_verify


class VerifyForm(forms.Form):
    token = forms.CharField(
        label=_("Pass code"),
        max_length=MAX_TOKEN_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}),
    )


@login_required(login_url="backoffice:sign_in")
@require_http_methods(["GET", "POST"])
def verify(request: SignedInRequest) -> HttpResponse:
    if not can_verify_passes(request.user):
        raise PermissionDenied
    form = VerifyForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = pass_verify(actor=request.user, token=form.cleaned_data["token"], ip=client_ip(request))
        except ServiceError as exc:  # pragma: no cover - the role was checked above
            form.add_error(None, exc.message)
    context = {
        "form": VerifyForm() if result is not None else form,
        "result": result,
        "decision": pass_decision(result) if result is not None else None,
        "reason_message": reason_message(result.reason) if result else "",
    }
    if getattr(request, "htmx", False):
        # htmx swaps only 2xx answers; the partial carries its own error message.
        return render(request, "backoffice/_verify_result.html", context)
    return render(request, "backoffice/verify.html", context, status=400 if form.errors else 200)
