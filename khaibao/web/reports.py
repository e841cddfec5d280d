"""Citizen pages for reports (phản ánh): send one (signed in or anonymously), see one's own
reports with the replies, follow a report by its tracking code.

The pages call the same services as the API. An anonymous report needs the proof of work:
the page embeds a fresh ALTCHA challenge, and static/js/report-pow.js (our own few lines —
the ALTCHA widget is only published on npm) solves it with WebCrypto while the form is
filled in and puts the payload in the hidden `pow` field. Without JavaScript an anonymous
report cannot pass the check: the page says so and suggests signing in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.accounts.models import Account
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, mark_rate_limited
from khaibao.core.keyset import keyset_pager
from khaibao.places import selectors as places
from khaibao.places.box import VIET_NAM_LAT, VIET_NAM_LON
from khaibao.reports import pow as proof_of_work
from khaibao.reports import selectors, services
from khaibao.reports.models import Category
from khaibao.reports.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from khaibao.web.household import citizen_required
from khaibao.web.submissions import FIELD as SUBMISSION_FIELD
from khaibao.web.submissions import submission_once

RELOAD = "_reload_wards"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the content checks are the service's (reports.photos)."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return single(data, initial)


class CoordinateField(forms.FloatField):
    """A decimal degree typed as text (GOV.UK's advice over type=number, so what was typed is
    kept on an error); a decimal comma, as Vietnamese keyboards write it, is accepted."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # FloatField would add number-input attributes (step) that mean nothing on a text input.
        return {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}


def _coordinate(label: Any) -> CoordinateField:
    return CoordinateField(
        label=label, required=False,
        error_messages={"invalid": gettext_lazy("Enter a number in degrees, like 21.0285.")},
    )


class ReportForm(forms.Form):
    """Field names are the API's where they exist, so service errors map one to one."""

    category = forms.ChoiceField(
        label=gettext_lazy("What is it about?"), choices=Category.choices, widget=forms.RadioSelect
    )
    province = forms.TypedChoiceField(label=gettext_lazy("Province or city"), coerce=int)
    ward_code = forms.TypedChoiceField(label=gettext_lazy("Ward or commune"), coerce=int)
    address = forms.CharField(
        label=gettext_lazy("Address or place"), max_length=services.MAX_ADDRESS,
        widget=forms.TextInput(attrs={"maxlength": services.MAX_ADDRESS}),
    )
    description = forms.CharField(
        label=gettext_lazy("What happened"), max_length=services.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": services.MAX_DESCRIPTION}),
    )
    # Today by default: a report is mostly about what the reporter sees now or saw today (a
    # gathering, someone not isolating), and a forgotten date sent the page back and cost the
    # reporter their photos (browser review, finding 5) — a date further back is one tap to
    # change, and a future one is still refused by the service.
    happened_date = forms.DateField(
        label=gettext_lazy("Date"), initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": gettext_lazy("Enter the date as dd/mm/yyyy.")},
    )
    happened_time = forms.TimeField(
        # Optional fields say so, required ones are left plain (as on every citizen form).
        label=gettext_lazy("About what time (optional)"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"invalid": gettext_lazy("Enter the time as hh:mm.")},
    )
    # The optional map point; its rules (both or neither, inside Viet Nam) are the service's.
    lat = _coordinate(gettext_lazy("Latitude (optional)"))
    lon = _coordinate(gettext_lazy("Longitude (optional)"))
    photos = MultipleFileField(
        label=gettext_lazy("Photos (optional)"), required=False,
        help_text=gettext_lazy("Up to 3 photos, JPEG, PNG or WebP, 5 MB each. Location data in photos is removed."),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    pow = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"id": "report-pow"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = list(places.provinces_list())
        self._choice("province").choices = [("", _("— choose —"))] + [(p.code, p.name) for p in provinces]
        self.fields["province"].widget.attrs.update({
            "hx-get": reverse("web:report_wards"), "hx-target": "#ward-field", "hx-swap": "outerHTML",
        })
        province = self._province_code({p.code for p in provinces})
        wards = list(places.wards_of_province(province)) if province else []
        prompt = _("— choose —") if province else _("— choose the province first —")
        self._choice("ward_code").choices = [("", prompt)] + [(w.code, w.name) for w in wards]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "lat" in data and "lon" in data:
            for name, message in services.point_errors(data["lat"], data["lon"]).items():
                self.add_error(name, message)
        return data

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def _province_code(self, known: set[int]) -> int | None:
        raw = self.data.get("province") if self.is_bound else self.initial.get("province")
        try:
            code = int(raw or 0)
        except (TypeError, ValueError):
            return None
        return code if code in known else None


_FIELD_OF = {"happened_at": "happened_date", "pow": None}


def _apply_errors(form: ReportForm, exc: ServiceError) -> None:
    form_add_service_error(form, exc, rename=_FIELD_OF)


def _context(request: HttpRequest, form: ReportForm) -> dict[str, Any]:
    anonymous = not getattr(request.user, "is_citizen", False)
    # A browser never refills a file input, so photos posted with a page that comes back (an
    # error, the no-script ward reload) are gone: the page says so beside the field, and the
    # input points a screen reader at that notice (id in templates/web/reports/new.html).
    photos_not_sent = len(request.FILES.getlist("photos")) if request.method == "POST" else 0
    if photos_not_sent:
        form.fields["photos"].widget.attrs["aria-describedby"] = "id_photos_helptext photos-not-sent"
    return {
        "form": form,
        "anonymous": anonymous,
        "challenge": proof_of_work.challenge_create() if anonymous else None,
        "reload": RELOAD,
        "max_photos": MAX_PHOTOS,
        "max_photo_mb": MAX_PHOTO_BYTES // 2**20,
        "vn_box": {"lat": VIET_NAM_LAT, "lon": VIET_NAM_LON},
        "photos_not_sent": photos_not_sent,
    }


@require_http_methods(["GET", "POST"])
@submission_once
def report_new(request: HttpRequest) -> HttpResponse:
    """The report form; on success a redirect to the confirmation page, which shows the tracking
    code once. A signed-in citizen's double tap or re-post is one report (the submission key); an
    anonymous one is one report too, as its proof of work pays for one only."""
    if request.method == "POST" and RELOAD in request.POST:
        initial = {
            k: v for k, v in request.POST.items()
            if k not in {"csrfmiddlewaretoken", RELOAD, "ward_code", "pow", SUBMISSION_FIELD}
        }
        return render(request, "web/reports/new.html", _context(request, ReportForm(initial=initial)))
    if request.method != "POST":
        return render(request, "web/reports/new.html", _context(request, ReportForm()))
    form = ReportForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        happened: datetime = services.date_time_join(data["happened_date"], data["happened_time"])
        actor = request.user if isinstance(request.user, Account) and request.user.is_citizen else None
        photos = [
            services.PhotoUpload(name=f.name or "", content_type=f.content_type or "", data=f.read(MAX_PHOTO_BYTES + 1))
            for f in request.FILES.getlist("photos")
        ]
        try:
            _report, code = services.report_submit(
                actor=actor,
                data=services.ReportInput(
                    category=data["category"], ward_code=data["ward_code"], address=data["address"],
                    description=data["description"], happened_at=happened,
                    lat=data["lat"], lon=data["lon"],
                ),
                photos=photos,
                pow_payload=data.get("pow") or "",
                ip=client_ip(request),
            )
        except ServiceError as exc:
            _apply_errors(form, exc)
            return mark_rate_limited(
                render(request, "web/reports/new.html", _context(request, form), status=400), exc
            )
        return _done_redirect(request, code=code, anonymous=actor is None)
    return render(request, "web/reports/new.html", _context(request, form), status=400)


# The tracking code goes from the POST to the confirmation page, which shows it once:
# - an anonymous reporter's in a signed cookie, for that page and a few minutes, dropped once
#   shown — kept by their browser alone, so the server never holds a code beside a session that
#   could later be signed in;
# - a signed-in citizen's in their session: their post runs inside submission_once, which answers
#   with a redirect of its own (the view's cookies stay behind) and replays it to a double tap.
DONE_COOKIE = "report_done"
DONE_SESSION_KEY = "report_done_code"
_DONE_SALT = "khaibao.web.reports.done"
_DONE_SECONDS = 600


def _done_redirect(request: HttpRequest, *, code: str, anonymous: bool) -> HttpResponse:
    response = redirect("web:report_done")
    if anonymous:
        response.set_signed_cookie(
            DONE_COOKIE, code, salt=_DONE_SALT, max_age=_DONE_SECONDS, path=reverse("web:report_done"),
            secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
        )
    else:
        request.session[DONE_SESSION_KEY] = code
    return response


def _own_code(request: HttpRequest) -> str:
    """The signed-in reporter's code kept for the confirmation, if its report exists: a post
    rolled back after the view ran (its submission key committed first by a twin) left a code of
    no report, which must not be shown."""
    code = request.session.pop(DONE_SESSION_KEY, "")
    try:
        report = selectors.report_by_code(code)
    except Http404:
        return ""
    return code if report.reporter_id == request.user.pk else ""


@require_GET
def report_done(request: HttpRequest) -> HttpResponse:
    """The confirmation with the tracking code, once; shown again (a reload, the back button)
    it says the report was sent and where to follow it, without the code."""
    signed_in = bool(getattr(request.user, "is_citizen", False))
    code = _own_code(request) if signed_in else ""
    if not code:
        code = request.get_signed_cookie(DONE_COOKIE, default="", salt=_DONE_SALT, max_age=_DONE_SECONDS) or ""
    response = render(request, "web/reports/done.html", {"code": code, "signed_in": signed_in})
    response["Cache-Control"] = "no-store"
    if DONE_COOKIE in request.COOKIES:
        response.delete_cookie(DONE_COOKIE, path=reverse("web:report_done"), samesite="Lax")
    return response


@require_GET
def report_wards(request: HttpRequest) -> HttpResponse:
    """The ward <select> for a province (swapped in by htmx), reusing the household partial."""
    form = ReportForm(initial={"province": request.GET.get("province", "")})
    return render(request, "web/household/_ward_field.html", {"form": form})


# One's own reports, a page at a time, newest first; "Older reports" leads to the rest.
REPORTS_PAGE = 50


@citizen_required
@require_GET
def reports_mine(request: SignedInRequest) -> HttpResponse:
    pager = keyset_pager(request, lambda cursor: selectors.reports_of_reporter_page(
        request.user, cursor=cursor, limit=REPORTS_PAGE))
    return render(request, "web/reports/list.html", {
        "reports": pager.page.items if pager.page else [], "now": timezone.now(), **pager.context,
    }, status=pager.status)


@require_http_methods(["GET", "POST"])
def report_track(request: HttpRequest) -> HttpResponse:
    """Enter a tracking code (posted, so it stays out of addresses and logs)."""
    context: dict[str, Any] = {"code": "", "report": None, "not_found": False}
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip()
        context["code"] = code
        try:
            report = selectors.report_by_code(code)
        except Http404:
            context["not_found"] = True
        else:
            context["report"] = report
            context["replies"] = selectors.public_replies(report)
    response = render(request, "web/reports/track.html", context, status=404 if context["not_found"] else 200)
    response["Cache-Control"] = "no-store"
    return response
