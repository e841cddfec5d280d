"""Health officials' console for duplicate ID numbers (issue 18, item 4): the open reviews of
their jurisdiction, one review with what they may see of both registrations, and settling it
with one of the outcomes the service offers (after a confirmation step). The rules, the scope
and the audit are khaibao.people.id_reviews'; these views only parse and render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from khaibao.accounts.http import SignedInRequest
from khaibao.backoffice.permissions import official_required
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, confirmed_post
from khaibao.people import id_reviews
from khaibao.people.models import IdNumberReviewOutcome
from khaibao.people.selectors import mask_id_number

PAGE = 25


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("What did you find?"), choices=IdNumberReviewOutcome.choices, widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what the review found.")},
    )


@official_required
@require_GET
def reviews_index(request: SignedInRequest) -> HttpResponse:
    """The open reviews, oldest first, PAGE at a time (the page shown is audited)."""
    after = request.GET.get("after", "")
    error = ""
    try:
        rows = id_reviews.id_number_reviews_open(request.user, limit=PAGE + 1, after=after, ip=client_ip(request))
    except ServiceError as exc:
        rows, error = [], exc.message
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    context = {
        "rows": rows, "error": error, "first_page": not after,
        "next_after": id_reviews.review_cursor(rows[-1]) if more else "",
    }
    return render(request, "backoffice/id_reviews/index.html", context, status=400 if error else 200)


def _detail(request: SignedInRequest, review_id: int, *, form: ResolveForm | None = None,
            confirm: str = "", status: int = 200) -> HttpResponse:
    detail = id_reviews.id_number_review_detail(request.user, review_id, ip=client_ip(request))
    context: dict[str, Any] = {
        "detail": detail, "review": detail.review, "person": detail.person, "holder": detail.holder,
        "person_id_number": mask_id_number(detail.person.id_number or ""),
        "holder_id_number": mask_id_number(detail.holder.id_number or "") if detail.holder else "",
        "form": form or ResolveForm(), "confirm": confirm,
        "confirm_label": dict(IdNumberReviewOutcome.choices).get(confirm, ""),
    }
    return render(request, "backoffice/id_reviews/detail.html", context, status=status)


@official_required
@require_GET
def review_detail(request: SignedInRequest, review_id: int) -> HttpResponse:
    """One review; opening it reads both people through the access layer (audited)."""
    return _detail(request, review_id)


@official_required
@require_POST
def review_resolve(request: SignedInRequest, review_id: int) -> HttpResponse:
    """Step 1 (the outcome chosen) shows a confirmation; step 2 (`confirmed`) settles it."""
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _detail(request, review_id, form=form, status=400)
    outcome = form.cleaned_data["outcome"]
    if not confirmed_post(request):
        return _detail(request, review_id, form=form, confirm=outcome)
    try:
        id_reviews.id_number_review_resolve(actor=request.user, review_id=review_id, outcome=outcome, ip=client_ip(request))
    except ServiceError as exc:
        form_add_service_error(form, exc)
        return _detail(request, review_id, form=form, status=exc.status)
    messages.success(request, _("The review is settled: %(outcome)s. It is in the audit trail.")
                     % {"outcome": dict(IdNumberReviewOutcome.choices)[outcome]})
    return redirect("backoffice:id_reviews")
