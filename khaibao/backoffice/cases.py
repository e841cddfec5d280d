"""Console pages for health officials: the triage queue, the case view and follow-up actions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.accounts.models import Account
from khaibao.backoffice.permissions import official_required
from khaibao.backoffice.ward_choices import ward_filter_choices
from khaibao.cases import services
from khaibao.cases.case_view import HISTORY_SECTIONS, case_person, case_view, lost_rule_text
from khaibao.cases.missed import lost_after_days
from khaibao.cases.models import ActionKind, TestResult
from khaibao.cases.officials import assignable_officials
from khaibao.cases.triage import triage_filters_parse, triage_queue
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, confirmed_post
from khaibao.core.keyset import keyset_query
from khaibao.monitoring.models import Level
from khaibao.monitoring.queue import QUEUE_REASONS
from khaibao.people import limits
from khaibao.people.models import Person
from khaibao.tracing.selectors import contacts_of_page


class FilterForm(forms.Form):
    ward = forms.TypedChoiceField(label=gettext_lazy("Ward"), required=False, coerce=int, empty_value=None)
    level = forms.ChoiceField(
        label=gettext_lazy("Level"), required=False, choices=[("", gettext_lazy("All")), *Level.choices]
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"), required=False,
        choices=[("", gettext_lazy("All")), *QUEUE_REASONS.items()],
    )
    followup = forms.ChoiceField(
        label=gettext_lazy("Follow-up"), required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("none", gettext_lazy("No open case")),
            ("open", gettext_lazy("Open case")),
            ("unassigned", gettext_lazy("Not assigned")),
            ("assigned", gettext_lazy("Assigned")),
        ],
    )
    assigned = forms.ChoiceField(label=gettext_lazy("Assigned to"), required=False)
    since_from = forms.DateField(
        label=gettext_lazy("Waiting since, from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    since_to = forms.DateField(
        label=gettext_lazy("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    min_missed = forms.IntegerField(label=gettext_lazy("Missed days in a row, at least"), required=False, min_value=0, max_value=365)

    def __init__(self, *args: Any, user: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ward"].choices = ward_filter_choices(user)  # type: ignore[attr-defined]
        self.fields["assigned"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")), ("me", _("Me")),
            *[(str(a.pk), a.display_name or a.username) for a in assignable_officials(user) if a.pk != user.pk],
        ]


class ActionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Action"), choices=ActionKind.choices)
    test_result = forms.ChoiceField(
        label=gettext_lazy("Test result"), required=False,
        choices=[("", gettext_lazy("— not a test result —")), *TestResult.choices],
    )
    test_date = forms.DateField(
        label=gettext_lazy("Test date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, max_length=services.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RevealForm(forms.Form):
    # Prefixed: the case view shows several forms, and each element's id must be its own.
    prefix = "reveal"

    reason = forms.CharField(
        label=gettext_lazy("Reason"), min_length=services.REVEAL_REASON_MIN, max_length=services.REVEAL_REASON_MAX,
        help_text=gettext_lazy("Why you need the full ID number and phone (kept in the audit trail)."),
    )


class HouseholdLimitForm(forms.Form):
    """Types only: the range and the reason's length are `people.limits`' (as for the API)."""

    prefix = "limit"  # beside the reveal form's `reason` on the case view

    max_people = forms.IntegerField(
        label=gettext_lazy("New limit (people in the household)"), required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Why the household needs more places"), max_length=300, required=False,
        help_text=gettext_lazy("At least 10 characters, e.g. a care home or three generations living together. Kept in the audit trail."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=gettext_lazy("Assign to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, user: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            (a.pk, a.display_name or a.username) for a in assignable_officials(user)
        ]


@official_required
@require_GET
def queue(request: SignedInRequest) -> HttpResponse:
    """The triage queue with filters (a GET form) and a keyset "next page" link."""
    user: Account = request.user
    form = FilterForm(request.GET or None, user=user)
    page = None
    status = 200
    params: dict[str, Any] = {}
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        if form.is_bound:
            params = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            filters = triage_filters_parse(params, user=user)
            page = triage_queue(
                user, filters=filters, cursor=request.GET.get("cursor") or None, ip=client_ip(request)
            )
        except ServiceError as exc:
            for name, message in exc.fields.items():
                form.add_error(name if name in form.fields else None, message)
            status = 400
    next_url = ""
    if page is not None and page.next_cursor:
        query = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()}
        next_url = "?" + urlencode({**query, "cursor": page.next_cursor})
    return render(
        request,
        "backoffice/cases/queue.html",
        {
            "form": form,
            "page": page,
            "next_url": next_url,
            "first_page": bool(request.GET.get("cursor")),
            "lost_rule": lost_rule_text(lost_after_days()),
        },
        status=status,
    )


# The case page shows the newest contacts only and links to the contacts page, which pages through
# them all: a case with 122 contacts took a second to render and audit in one table (browser review).
CASE_CONTACTS_SHOWN = 20


def _contacts_context(request: SignedInRequest, person: Person) -> dict[str, Any]:
    page = contacts_of_page(person, viewer=request.user, cursor=None, limit=CASE_CONTACTS_SHOWN, ip=client_ip(request))
    return {
        "contacts": page.items,
        "contacts_total": page.total,
        "contacts_all_url": reverse("backoffice:case_contacts", args=[person.pk]) if page.next_cursor else "",
    }


def _render_case(
    request: SignedInRequest,
    person: Person,
    *,
    action_form: ActionForm | None = None,
    reveal_form: RevealForm | None = None,
    revealed: dict[str, Any] | None = None,
    limit_form: HouseholdLimitForm | None = None,
    limit_confirm: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    # Each history section pages on its own cursor; its links keep the other sections' pages.
    cursors = {name: request.GET.get(f"{name}_cursor") or None for name in HISTORY_SECTIONS}
    view = case_view(person, revealed=revealed, cursors=cursors)
    # The case's own address: this page is also rendered in answer to its forms' POSTs.
    base = reverse("backoffice:case", kwargs={"person_id": view.person.pk})
    pagers: dict[str, dict[str, str]] = {}
    for name in HISTORY_SECTIONS:
        others = {f"{k}_cursor": v for k, v in cursors.items() if k != name and v}
        following = view.next_cursors[name]
        pagers[name] = {
            "error": view.page_errors[name],
            "first_url": (base + keyset_query(others)).removesuffix("?") if cursors[name] else "",
            "next_url": base + keyset_query(others, following, name=f"{name}_cursor") if following else "",
        }
    if any(view.page_errors.values()) and status == 200:
        status = 400
    context = {
        "view": view,
        "person": view.person,
        "pagers": pagers,
        "action_form": action_form or ActionForm(),
        "reveal_form": reveal_form or RevealForm(),
        "assign_form": AssignForm(user=user),
        "household_rooms": limits.household_rooms(view.person),
        "limit_form": limit_form or HouseholdLimitForm(),
        "limit_confirm": limit_confirm,
        "limit_range": {"default": int(settings.HOUSEHOLD_MAX_PEOPLE), "min": int(settings.HOUSEHOLD_MAX_PEOPLE) + 1,
                        "max": limits.HOUSEHOLD_RAISE_MAX},
        "lost_rule": lost_rule_text(view.lost_after_days),
        "checkin_keep_days": settings.VENUE_CHECKIN_KEEP_DAYS,
        # Contacts are read (and their list audited) only where the page shows them.
        **({} if view.processing_stopped else _contacts_context(request, view.person)),
    }
    return render(request, "backoffice/cases/case.html", context, status=status)


@official_required
@require_GET
def case(request: SignedInRequest, person_id: int) -> HttpResponse:
    """The case view; opening it writes the "person.case_view" audit event."""
    person = case_person(request.user, person_id, purpose="case_view", ip=client_ip(request))
    return _render_case(request, person)


def _asks_first(action: services.ActionIn) -> bool:
    """Actions that end or raise a follow-up for good ask first (core.http.confirmed_post):
    "cleared" lowers the level, ends monitoring and closes the case; a positive test makes the
    person a confirmed case (F0, urgent). Neither is undone by the engine."""
    return action.kind == ActionKind.CLEARED or (
        action.kind == ActionKind.TEST_RESULT and action.test_result == TestResult.POSITIVE
    )


def _action_confirmation(
    request: SignedInRequest, person: Person, action: services.ActionIn, *, carried: list[tuple[str, str]]
) -> HttpResponse:
    name = person.full_name
    if action.kind == ActionKind.CLEARED:
        question = _("End the follow-up of %(name)s?") % {"name": name}
        consequences = [
            _("Their level becomes low and their monitoring ends; the F0 and contact marks are cleared and the "
              "case is closed, so they leave the triage queue. Their pass shows the low level at once."),
            _("This cannot be undone: only a new declaration or a new action raises the level again."),
        ]
        button = _("Yes, end the follow-up")
    else:
        question = _("Record a positive test for %(name)s (test of %(date)s)?") % {
            "name": name, "date": action.test_date.strftime("%d/%m/%Y") if action.test_date else "",
        }
        consequences = [
            _("They become a confirmed case (F0) at the urgent level, monitored for a full period from the test date."),
            _("The level is never lowered automatically: only “Cleared” lowers it again."),
        ]
        button = _("Yes, record the positive test")
    return render(request, "confirm.html", {
        "console": True,
        "question": question,
        "consequences": consequences,
        "button": button,
        "cancel_url": reverse("backoffice:case", args=[person.pk]) + "#follow-up",
        "carried": carried,
    })


@official_required
@require_POST
def case_action(request: SignedInRequest, person_id: int) -> HttpResponse:
    """Record a follow-up action. "Cleared" and a positive test answer first with the confirmation
    page (what will happen); its POST (`confirmed=1`, the form's fields carried along) records."""
    ip = client_ip(request)
    person = case_person(request.user, person_id, purpose="case_action", ip=ip)
    form = ActionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        action = services.ActionIn(
            kind=data["kind"], notes=data["notes"] or "",
            test_result=data["test_result"] or "", test_date=data["test_date"],
        )
        if _asks_first(action) and not confirmed_post(request):
            errors = services.case_action_errors(action)
            for name, message in errors.items():
                form.add_error(name if name in form.fields else None, message)
            if not errors:
                carried = [(form.add_prefix(name), str(form.data.get(form.add_prefix(name), ""))) for name in form.fields]
                return _action_confirmation(request, person, action, carried=carried)
        else:
            try:
                services.case_action_record(actor=request.user, person=person, data=action, ip=ip)
            except ServiceError as exc:
                form_add_service_error(form, exc)
            else:
                messages.success(request, _("The action is recorded."))
                return redirect("backoffice:case", person_id=person.pk)
    return _render_case(request, person, action_form=form, status=400)


@official_required
@require_POST
def case_assign(request: SignedInRequest, person_id: int) -> HttpResponse:
    ip = client_ip(request)
    user: Account = request.user
    person = case_person(user, person_id, purpose="case_assign", ip=ip)
    form = AssignForm(request.POST, user=user)
    if request.POST.get("to_me"):
        assignee_id = None
    elif form.is_valid() and form.cleaned_data["assignee"] is not None:
        assignee_id = form.cleaned_data["assignee"]
    else:
        messages.error(request, _("Choose an official of your jurisdiction."))
        return redirect("backoffice:case", person_id=person.pk)
    try:
        case = services.case_assign(actor=user, person=person, assignee_id=assignee_id, ip=ip)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        name = case.assigned_to.display_name or case.assigned_to.username if case.assigned_to else ""
        messages.success(request, _("The case is assigned to %(name)s.") % {"name": name})
    return redirect("backoffice:case", person_id=person.pk)


@official_required
@require_POST
def case_reveal(request: SignedInRequest, person_id: int) -> HttpResponse:
    """Show the full ID number and phone once, for a stated reason (audited "person.reveal")."""
    ip = client_ip(request)
    person = case_person(request.user, person_id, purpose="case_reveal", ip=ip)
    form = RevealForm(request.POST)
    if form.is_valid():
        try:
            revealed = services.person_reveal(actor=request.user, person=person, reason=form.cleaned_data["reason"], ip=ip)
        except ServiceError as exc:
            for name, message in exc.fields.items():
                form.add_error(name if name in form.fields else None, message)
        else:
            return _render_case(request, person, revealed=revealed)
    return _render_case(request, person, reveal_form=form, status=400)


@official_required
@require_POST
def case_household_limit(request: SignedInRequest, person_id: int) -> HttpResponse:
    """Raise the limit of the household(s) the person belongs to, with a reason: step 1 checks
    the values (`people.limits`) and asks to confirm; step 2 (`confirmed`) raises it, audited
    "household.limit_raise" by the service."""
    ip = client_ip(request)
    person = case_person(request.user, person_id, purpose="household_limit", ip=ip)
    form = HouseholdLimitForm(request.POST)
    if not form.is_valid():
        return _render_case(request, person, limit_form=form, status=400)
    max_people, reason = form.cleaned_data["max_people"], form.cleaned_data["reason"]
    errors = limits.household_limit_errors(max_people=max_people, reason=reason)
    for name, message in errors.items():
        form.add_error(name, message)
    if errors:
        return _render_case(request, person, limit_form=form, status=400)
    if not confirmed_post(request):
        return _render_case(request, person, limit_form=form,
                            limit_confirm={"max_people": max_people, "reason": reason})
    try:
        changed = limits.household_limit_raise(actor=request.user, person=person, max_people=max_people, reason=reason, ip=ip)
    except ServiceError as exc:
        form_add_service_error(form, exc)
        return _render_case(request, person, limit_form=form, status=exc.status)
    if changed:
        messages.success(request, _("The household's limit is now %(max)s people.") % {"max": max_people})
    else:
        messages.warning(request, _("This person is in no household: there was no limit to raise."))
    return redirect(f"{reverse('backoffice:case', args=[person.pk])}#household")
