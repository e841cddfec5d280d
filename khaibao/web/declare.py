"""Citizen pages for declaring: the universal declaration, the risk-factor declaration and the
daily update. They call the same services as the API; the forms (web/declare_forms.py) only
parse, and the services' field errors are shown next to the matching inputs with the answers kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.core.errors import ServiceError
from khaibao.core.http import client_ip
from khaibao.core.overload import rush_requested
from khaibao.declarations.models import DeclaredAs
from khaibao.declarations.questionnaires import (
    LEGAL_WARNING,
    current_questionnaire,
)
from khaibao.monitoring import declaring as declaration_services
from khaibao.monitoring import services as monitoring_services
from khaibao.monitoring.models import Feeling
from khaibao.people.access import access_declaring
from khaibao.web.declare_forms import DailyUpdateForm, DeclarationForm, RiskDeclarationForm
from khaibao.web.submissions import submission_once

# Back after sending a declaration, then sending again, is the same declaration
# (web/submissions.py): a person's answers rarely change within minutes, and a real change differs.
SAME_DECLARATION_MINUTES = 5


def _page_context(person: Any, form: forms.Form, **extra: Any) -> dict[str, Any]:
    return {"person": person, "form": form, "legal_warning": LEGAL_WARNING, **extra}


@login_required
@require_http_methods(["GET", "POST"])
@submission_once(same_answers_minutes=SAME_DECLARATION_MINUTES)
def declare(request: SignedInRequest, person_id: int) -> HttpResponse:
    declaring = access_declaring(request.user, person_id)
    person = declaring.person
    form = DeclarationForm(request.POST or None, questionnaire=current_questionnaire())
    if request.method == "POST" and form.is_valid():
        try:
            declaration_services.declaration_submit(
                actor=request.user, person=person, data=form.to_input(), ip=client_ip(request),
                declared_as=declaring.declared_as,
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The declaration for %(name)s was recorded.") % {"name": person.full_name})
            return redirect("web:person_status", person_id=person.pk)
    return render(request, "web/declare/declare.html", _page_context(person, form), status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
@submission_once(same_answers_minutes=SAME_DECLARATION_MINUTES)
def risk_declare(request: SignedInRequest, person_id: int) -> HttpResponse:
    declaring = access_declaring(request.user, person_id)
    person = declaring.person
    form = RiskDeclarationForm(request.POST or None, questionnaire=current_questionnaire())
    if request.method == "POST" and form.is_valid():
        try:
            declaration_services.risk_declaration_submit(
                actor=request.user, person=person, data=form.to_input(), ip=client_ip(request),
                declared_as=declaring.declared_as,
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, _("The risk-factor declaration was recorded. Your ward's health station will see it.")
            )
            return redirect("web:person_status", person_id=person.pk)
    return render(request, "web/declare/risk.html", _page_context(person, form), status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
@submission_once
def daily_update(request: SignedInRequest, person_id: int) -> HttpResponse:
    """The daily update; a POST with `well` is the one-tap "I am well" for the day it was tapped."""
    declaring = access_declaring(request.user, person_id)
    person = declaring.person
    today = timezone.localdate()
    questionnaire = current_questionnaire()
    # Rush mode (decision D, core/overload.py): stored first, assessed by the worker as soon as it
    # has room; the status page says "assessing", since when, and refreshes until it is done.
    write = monitoring_services.daily_update_store if rush_requested(request) else monitoring_services.daily_update_put
    if request.method == "POST" and "well" in request.POST:
        # The day the button was tapped (hidden `day`, set by static/js/offline.js at the tap): a
        # tap queued offline at 23:50 and sent the next morning is for the day it was made. The
        # service checks it as it checks every update's day (today or yesterday). A post without
        # it (the status page's button, a page kept from an older release) is for today.
        day = _day_of(request.POST.get("day"), today)
        try:
            write(
                actor=request.user, person=person, day=day, feeling=Feeling.WELL, ip=client_ip(request),
                declared_as=declaring.declared_as,
            )
        except ServiceError as exc:
            # Not a redirect: the offline outbox shows it refused (with "send again"), not "sent".
            messages.error(request, exc.fields.get("day") or exc.message)
            form = DailyUpdateForm(None, today=today, questionnaire=questionnaire, initial={"day": today.isoformat()})
            return render(request, "web/declare/update.html", _update_context(declaring, form, today), status=exc.status)
        if day == today:
            messages.success(request, _("Thank you: today's update for %(name)s was recorded.") % {"name": person.full_name})
        else:
            messages.success(
                request, _("Thank you: the update of %(date)s for %(name)s was recorded.")
                % {"date": day.strftime("%d/%m/%Y"), "name": person.full_name},
            )
        return redirect("web:person_status", person_id=person.pk)
    form = DailyUpdateForm(
        request.POST or None, today=today, questionnaire=questionnaire,
        initial={"day": today.isoformat()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            write(
                actor=request.user,
                person=person,
                day=data["day"],
                symptoms=data.get("symptoms") or [],
                temperature=data.get("temperature"),
                feeling=data.get("feeling") or "",
                ip=client_ip(request),
                declared_as=declaring.declared_as,
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The update for %(name)s was recorded.") % {"name": person.full_name})
            return redirect("web:person_status", person_id=person.pk)
    return render(
        request, "web/declare/update.html", _update_context(declaring, form, today), status=400 if form.errors else 200
    )


def _day_of(raw: str | None, today: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else today
    except ValueError:
        return date.min  # not a day: the service refuses it as too old, with its message


def _update_context(declaring: Any, form: DailyUpdateForm, today: date) -> dict[str, Any]:
    # The one-tap button speaks for the person: "I am well" only on one's own page. `today` is the
    # one-tap form's day without JavaScript (no offline copy then, so shown = sent, give or take).
    return {
        "person": declaring.person, "form": form, "is_self": declaring.declared_as == DeclaredAs.SELF,
        "today": today.isoformat(), "time_zone": timezone.get_current_timezone_name(),
    }
