"""The volunteer's pages: the people they assist and who still needs today's update, register
an assisted person (with their consent), stop assisting, and a printable page of QR passes.

Same services as the API (people.volunteers, monitoring.services, passes.services); the
person form is the household one (web.household.PersonForm), so the field rules are shared.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import RateLimited, ServiceError
from khaibao.core.http import client_ip, confirmed_post, mark_rate_limited
from khaibao.monitoring import services as monitoring_services
from khaibao.monitoring.models import Feeling
from khaibao.monitoring.selectors import volunteer_assisted
from khaibao.passes.services import pass_issue_with_code
from khaibao.people import volunteers
from khaibao.people.access import (
    access_declaring,
    access_delegation_for_volunteer,
    is_active_volunteer,
)
from khaibao.people.models import ConsentMethod
from khaibao.web.household import RELOAD, PersonForm, _reload_form, citizen_required
from khaibao.web.submissions import submission_once


def volunteer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in citizens with a volunteer appointment in force; other citizens get 403."""

    @citizen_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_active_volunteer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class ConsentForm(forms.Form):
    consent_method = forms.ChoiceField(
        label=gettext_lazy("How does the person give consent?"), widget=forms.RadioSelect,
        choices=[(ConsentMethod.CODE, gettext_lazy("A one-time code sent to their own phone")),
                 (ConsentMethod.WITNESSED, gettext_lazy("Verbal consent, in front of a witness"))],
    )
    witness_name = forms.CharField(label=gettext_lazy("Witness's full name"), required=False, max_length=100)
    attested = forms.BooleanField(
        label=gettext_lazy("I attest that the person agreed, in front of the witness, that I declare for them."),
        required=False,
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code received by the person"), max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


@volunteer_required
@require_GET
def volunteer_home(request: SignedInRequest) -> HttpResponse:
    entries = volunteer_assisted(account=request.user)
    # Someone never declared is asked to declare, not offered the one-tap update: an update
    # alone leaves their pass grey ("declare first" at a checkpoint), as the home page says.
    return render(request, "web/volunteer/home.html", {
        "entries": entries,
        "to_declare": [e for e in entries if not e.pending and not e.declared],
        "to_update": [e for e in entries if not e.pending and e.declared and not e.updated_today],
    })


@volunteer_required
@require_POST
def volunteer_well(request: SignedInRequest, person_id: int) -> HttpResponse:
    """One tap: today's "I am well" update for an assisted person."""
    declaring = access_declaring(request.user, person_id)
    person = declaring.person
    try:
        monitoring_services.daily_update_put(
            actor=request.user, person=person, day=timezone.localdate(), feeling=Feeling.WELL, ip=client_ip(request),
            declared_as=declaring.declared_as,
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Today's update for %(name)s was recorded.") % {"name": person.full_name})
    return redirect("web:volunteer")


@volunteer_required
@require_http_methods(["GET", "POST"])
# A double tap or a re-post registers the person once (a second Person and delegation otherwise,
# and a second consent code SMS): the form carries a submission key.
@submission_once
def volunteer_register(request: SignedInRequest) -> HttpResponse:
    consent = ConsentForm(request.POST or None)
    refusal: ServiceError | None = None
    if request.method == "POST" and RELOAD in request.POST:
        form = _reload_form(request, relations=None)
    elif request.method == "POST":
        form = PersonForm(request.POST, relations=None)
        if form.is_valid() & consent.is_valid():
            data = form.cleaned_data
            try:
                delegation = volunteers.assisted_person_start(
                    actor=request.user, consent_method=consent.cleaned_data["consent_method"],
                    full_name=data["full_name"], sex=data["sex"], home_ward_id=data["ward_code"],
                    birth_year=data["birth_year"], date_of_birth=data["date_of_birth"],
                    nationality_id=data["nationality"], id_number=data["id_number"], phone=data["phone"],
                    street=data["street"], witness_name=consent.cleaned_data["witness_name"],
                    attested=consent.cleaned_data["attested"], ip=client_ip(request),
                )
            except ServiceError as exc:
                refusal = exc  # a consent code refused by its hourly cap answers 429
                for name in ("consent_method", "witness_name", "attested"):
                    if name in exc.fields:
                        consent.add_error(name, exc.fields.pop(name))
                if exc.fields or not consent.errors:
                    form.add_service_error(exc)
            else:
                if delegation.consent_method == ConsentMethod.PENDING_CODE:
                    # The code is texted once the registration commits; the confirm page says
                    # whether one is waiting (a code the gateway did not take is withdrawn).
                    return redirect("web:volunteer_confirm", delegation_id=delegation.pk)
                messages.success(request, _("You now assist %(name)s.") % {"name": delegation.person.full_name})
                return redirect("web:volunteer")
    else:
        form = PersonForm(initial={"nationality": "VN"}, relations=None)
    status = 400 if request.method == "POST" and (form.errors or consent.errors) else 200
    page = render(request, "web/volunteer/register.html", {"form": form, "consent": consent, "reload": RELOAD}, status=status)
    return mark_rate_limited(page, refusal)


def _confirm_context(form: CodeForm, delegation: Any) -> dict[str, Any]:
    # The code's lifetime as the SMS says it (people.volunteers, from the settings); "a code was
    # sent" only while one is waiting — not after the gateway failed, nor once it expired.
    return {
        "form": form, "delegation": delegation, "minutes": volunteers.consent_code_minutes(),
        "code_waiting": volunteers.consent_code_waiting(delegation),
        # people.limits.pending_consent_lapse: without consent the registration lapses, and retention erases it.
        "lapse_days": settings.VOLUNTEER_PENDING_CONSENT_DAYS,
    }


@volunteer_required
@require_http_methods(["GET", "POST"])
def volunteer_confirm(request: SignedInRequest, delegation_id: int) -> HttpResponse:
    delegation = access_delegation_for_volunteer(request.user, delegation_id)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        try:
            volunteers.assisted_consent_resend(actor=request.user, delegation=delegation, ip=client_ip(request))
        except RateLimited as exc:
            # Not sent: the page again, saying how long to wait (429 with Retry-After, as the API).
            messages.error(request, exc.message)
            page = render(request, "web/volunteer/confirm.html", _confirm_context(CodeForm(), delegation))
            return mark_rate_limited(page, exc)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("A new code was sent."))
        return redirect("web:volunteer_confirm", delegation_id=delegation.pk)
    if request.method == "POST" and form.is_valid():
        try:
            volunteers.assisted_consent_confirm(
                actor=request.user, delegation=delegation, code=form.cleaned_data["code"], ip=client_ip(request),
            )
        except ServiceError as exc:
            form.add_error("code", exc.fields.get("code", exc.message))
        else:
            messages.success(request, _("Consent recorded: you now assist %(name)s.") % {"name": delegation.person.full_name})
            return redirect("web:volunteer")
    status = 400 if form.errors else 200
    return render(request, "web/volunteer/confirm.html", _confirm_context(form, delegation), status=status)


@volunteer_required
@require_http_methods(["GET", "POST"])
def volunteer_end(request: SignedInRequest, delegation_id: int) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what stopping
    means; the confirmation page's POST (`confirmed=1`) ends the delegation."""
    delegation = access_delegation_for_volunteer(request.user, delegation_id)
    name = delegation.person.full_name
    if confirmed_post(request):
        volunteers.assisted_revoke(actor=request.user, delegation=delegation, ip=client_ip(request))
        messages.success(request, _("You no longer assist %(name)s.") % {"name": name})
        return redirect("web:volunteer")
    return render(request, "confirm.html", {
        "console": False,
        "question": _("Stop assisting %(name)s?") % {"name": name},
        "consequences": [_("From now on you no longer see %(name)s or declare for them.") % {"name": name}],
        "kept": _("The declarations and records of %(name)s stay.") % {"name": name},
        "button": _("Yes, stop assisting"),
        "cancel_url": reverse("web:volunteer"),
    })


@volunteer_required
@require_GET
def volunteer_passes(request: SignedInRequest) -> HttpResponse:
    """Every assisted person's QR pass on one page, to print and hand over."""
    entries = [e for e in volunteer_assisted(account=request.user) if not e.pending]
    # With the short code to type, as on the holder's own card: a printed QR may smudge.
    cards = [{"person": e.person, "pass_info": pass_issue_with_code(person=e.person)} for e in entries]
    return render(request, "web/volunteer/passes.html", {"cards": cards, "printed_at": timezone.localtime()})
