"""The "My data" pages: consents given, download everything, withdraw consent or erase.

Destructive actions take three steps: choose people, read a confirmation page that says what
will go (and that choosing yourself closes the account), then type the code sent by SMS.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.accounts.models import Account
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip
from khaibao.people.models import Relation
from khaibao.privacy import selectors, services
from khaibao.privacy.consent import current_notice
from khaibao.privacy.models import ErasureReason
from khaibao.privacy.selectors import export_json
from khaibao.web.forms import CodeForm
from khaibao.web.household import citizen_required


class EraseForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("What do you want to do?"), widget=forms.RadioSelect,
        choices=[
            (ErasureReason.CONSENT_WITHDRAWN, gettext_lazy("Withdraw consent: stop using their data, then erase it")),
            (ErasureReason.REQUEST, gettext_lazy("Erase their data")),
        ],
    )
    person_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Whose data?"), coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one person.")},
    )

    def __init__(self, *args: object, account: Account, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.consents = selectors.household_consents(account=account)
        self.fields["person_ids"].choices = [  # type: ignore[attr-defined]
            (pc.person.pk, f"{pc.person.full_name} ({_('you') if pc.is_self else Relation(pc.relation).label})")
            for pc in self.consents
        ]


@citizen_required
@require_GET
def privacy_home(request: SignedInRequest) -> HttpResponse:
    account = request.user
    form = EraseForm(account=account)
    return render(request, "web/privacy/home.html", {
        "notice": current_notice(), "consents": form.consents, "form": form,
        "erasures": selectors.erasures_requested_by(account=account),
    })


@citizen_required
@require_GET
def privacy_export(request: SignedInRequest) -> HttpResponse:
    """The same JSON as GET /api/v1/privacy/export, as a file to keep."""
    data = services.household_data_export(actor=request.user, ip=client_ip(request))
    response = HttpResponse(export_json(data), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="khaibao-my-data-{timezone.localdate().isoformat()}.json"'
    response["Cache-Control"] = "no-store"
    return response


@citizen_required
@require_http_methods(["GET", "POST"])
def privacy_erase(request: SignedInRequest) -> HttpResponse:
    """Step 2: the confirmation page (GET, from the choice on "My data"); POST sends the code."""
    account = request.user
    # Always bound: this address is the choice form's own submission, and a choice of nothing
    # sends no field at all (`?`) — unbound, it came back without saying what was missing.
    form = EraseForm(request.POST if request.method == "POST" else request.GET, account=account)
    if not form.is_valid():
        return render(request, "web/privacy/home.html", {
            "notice": current_notice(), "consents": form.consents, "form": form,
            "erasures": selectors.erasures_requested_by(account=account),
        }, status=400)
    scope = selectors.erasure_scope(account=account, person_ids=form.cleaned_data["person_ids"])
    chosen, closes = set(scope.person_ids), scope.closes_account
    if request.method == "POST":
        try:
            challenge = services.erasure_code_request(
                actor=account, person_ids=chosen, reason=form.cleaned_data["reason"], ip=client_ip(request)
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            return redirect("web:privacy_confirm", code_id=challenge.pk)
    people = [pc for pc in form.consents if pc.person.pk in chosen]
    return render(request, "web/privacy/confirm.html", {
        "form": form, "people": people, "closes": closes, "reason": form.cleaned_data["reason"],
    }, status=400 if form.errors else 200)


@citizen_required
@require_http_methods(["GET", "POST"])
def privacy_confirm(request: SignedInRequest, code_id: int) -> HttpResponse:
    """Step 3: type the code from the SMS; the erasure starts."""
    account = request.user
    challenge = selectors.erasure_code_for_account(account=account, code_id=code_id)
    if challenge is None:
        raise Http404
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            started = services.erasure_confirm(
                actor=account, code_id=code_id, code=form.cleaned_data["code"], ip=client_ip(request)
            )
        except ServiceError as exc:
            form_add_service_error(form, exc)
        else:
            if started.account_closed:
                logout(request)
                messages.success(request, _("Your household's data is being erased and your account is closed."))
                return redirect("web:home")
            messages.success(request, _("Processing has stopped and the data is being erased."))
            return redirect("web:privacy")
    return render(request, "web/privacy/code.html", {
        "form": form, "challenge": challenge, "closes": selectors.includes_self(account, challenge.person_ids),
    }, status=400 if form.errors else 200)
