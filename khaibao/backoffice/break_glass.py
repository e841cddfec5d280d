"""Console pages for "break the glass": exact search, reason, and the national review."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.accounts.models import ScopeLevel
from khaibao.backoffice.permissions import official_required
from khaibao.backoffice.tracing import case_url
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip
from khaibao.core.params import ID_MAX, positive_id
from khaibao.people import break_glass


class SearchForm(forms.Form):
    id_number = forms.CharField(
        label=gettext_lazy("ID number (CCCD, CMND or passport)"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("or phone number"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )


class OpenForm(SearchForm):
    person_id = forms.IntegerField(required=False, min_value=1, max_value=ID_MAX, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Why do you need to open this person's record?"),
        help_text=gettext_lazy(
            "Required, at least 10 characters. A national official reviews every such access; it ends after 24 hours."
        ),
        max_length=break_glass.REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


_apply = form_add_service_error


@official_required
@require_http_methods(["GET", "POST"])
def search(request: SignedInRequest) -> HttpResponse:
    """Step 1 (search) and step 2 (reason) on one page; POST only, so numbers stay out of URLs."""
    step = request.POST.get("step", "")
    form: SearchForm = SearchForm()
    results: list[break_glass.SearchResult] = []
    open_form: OpenForm | None = None
    ip = client_ip(request)
    if request.method == "POST" and step == "open":
        open_form = OpenForm(request.POST)
        if open_form.is_valid():
            data = open_form.cleaned_data
            try:
                by, value = break_glass.clean_search(id_number=data["id_number"], phone=data["phone"])
                person, grant = break_glass.break_glass_open(
                    actor=request.user,
                    by=by, value=value, person_id=data["person_id"], reason=data["reason"], ip=ip,
                )
            except ServiceError as exc:
                _apply(open_form, exc)
            else:
                if grant is None:
                    messages.info(request, _("This person is in your jurisdiction: no special access is needed."))
                else:
                    messages.warning(
                        request, _("Access opened until %(time)s. It is recorded and will be reviewed.")
                        % {"time": timezone.localtime(grant.expires_at).strftime("%H:%M %d/%m/%Y")},
                    )
                return redirect(case_url(person))
        form = SearchForm(request.POST)
        form.is_valid()
        try:
            by, value = break_glass.clean_search(id_number=request.POST.get("id_number", ""), phone=request.POST.get("phone", ""))
            results = break_glass.break_glass_search(actor=request.user, by=by, value=value, ip=ip)
        except ServiceError:
            results = []
    elif request.method == "POST":
        form = SearchForm(request.POST)
        if form.is_valid():
            try:
                by, value = break_glass.clean_search(**form.cleaned_data)
                results = break_glass.break_glass_search(actor=request.user, by=by, value=value, ip=ip)
            except ServiceError as exc:
                _apply(form, exc)
            else:
                if not results:
                    form.add_error(None, _("No one is registered with this number. Check it and try again."))
                open_form = OpenForm(initial={"id_number": form.cleaned_data["id_number"], "phone": form.cleaned_data["phone"]})
    context = {
        "form": form,
        "results": results,
        "open_form": open_form,
        "searched": request.method == "POST",
    }
    errors = bool(form.errors or (open_form is not None and open_form.errors))
    return render(request, "backoffice/break_glass/search.html", context, status=400 if errors else 200)


class ReviewForm(forms.Form):
    grant_id = forms.IntegerField(min_value=1, max_value=ID_MAX, widget=forms.HiddenInput)
    note = forms.CharField(
        label=gettext_lazy("Review note (optional)"), max_length=break_glass.NOTE_MAX, required=False,
        widget=forms.TextInput(),
    )


@official_required
@require_http_methods(["GET", "POST"])
def review(request: SignedInRequest) -> HttpResponse:
    """National officials: the unreviewed break-glass accesses, newest first."""
    if request.user.scope_level != ScopeLevel.NATIONAL:
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                break_glass.break_glass_review(
                    actor=request.user,
                    grant_id=form.cleaned_data["grant_id"], note=form.cleaned_data["note"], ip=client_ip(request),
                )
            except ServiceError as exc:
                error = exc.message
            else:
                messages.success(request, _("Marked as reviewed."))
                return redirect("backoffice:break_glass_review")
        else:
            error = _("The note is too long.")
    before_id = positive_id(request.GET.get("before"))
    rows = break_glass.grants_to_review(actor=request.user, before=before_id)
    context = {
        "rows": rows,
        "error": error,
        "next_before": rows[-1].id if len(rows) == break_glass.REVIEW_PAGE else None,
    }
    return render(request, "backoffice/break_glass/review.html", context, status=400 if error else 200)

