"""Console: organisation admins (units of their subtree) and ward health officials (their
ward) appoint citizens as volunteers, with an expiry, and revoke them. Same services as
POST/DELETE /api/v1/volunteers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from khaibao.accounts.http import SignedInRequest
from khaibao.accounts.models import Role, ScopeLevel
from khaibao.core.days import day_end
from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.http import client_ip, confirmed_post
from khaibao.core.keyset import keyset_pager
from khaibao.monitoring.selectors import volunteer_assisted
from khaibao.orgs import volunteers as appointments
from khaibao.people.models import VolunteerAppointment


def can_appoint(user: Any) -> bool:
    role = getattr(user, "role", None)
    if role == Role.ORG_ADMIN:
        return bool(user.org_unit_id)
    return role == Role.OFFICIAL and user.scope_level == ScopeLevel.WARD and bool(user.scope_ward_id)


def _appointer_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required(login_url="backoffice:sign_in")
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_appoint(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class AppointForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("The citizen's phone (as they sign in)"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Volunteer until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    org_unit = forms.TypedChoiceField(label=gettext_lazy("Unit"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units:
            self.fields["org_unit"].choices = [(u.pk, f"{u.path} — {u.name}") for u in units]  # type: ignore[attr-defined]
        else:
            del self.fields["org_unit"]


# Appointments shown a page at a time, newest first; "Older appointments" leads to the rest.
APPOINTMENTS_PAGE = 200


@_appointer_only
@require_http_methods(["GET", "POST"])
def volunteers(request: SignedInRequest) -> HttpResponse:
    user = request.user
    form = AppointForm(request.POST or None, units=appointments.appointable_units(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The last day counts whole: the appointment ends at the following local midnight.
        expires_at = day_end(data["expires_on"])
        try:
            appointments.volunteer_appoint(
                actor=user, phone=data["phone"], expires_at=expires_at,
                org_unit_id=data.get("org_unit"), ip=client_ip(request),
            )
        except ServiceError as exc:
            form_add_service_error(form, exc, rename={"expires_at": "expires_on", "org_unit_id": "org_unit"})
        else:
            messages.success(request, _("The volunteer was appointed."))
            return redirect("backoffice:volunteers")
    pager = keyset_pager(request, lambda cursor: appointments.appointments_page(
        user, cursor=cursor, limit=APPOINTMENTS_PAGE))
    return render(request, "backoffice/volunteers/index.html", {
        "form": form,
        "appointments": [appointments.appointment_dict(a) for a in pager.page.items] if pager.page else [],
        **pager.context,
    }, status=400 if form.errors else pager.status)


def _revoke_consequences(appointment: VolunteerAppointment, name: str) -> list[str]:
    """What revoking `appointment` changes for the people its volunteer assists: their access
    ends with the last appointment in force (people.access), so another one keeps it."""
    if appointments.another_appointment_in_force(appointment):
        return [
            _("This appointment ends now."),
            _("%(name)s holds another volunteer appointment still in force, so the people they assist keep "
              "them as a volunteer until that one ends too.") % {"name": name},
        ]
    # Pending consents count: revoked, the volunteer can no longer complete them either.
    assisted = len(volunteer_assisted(account=appointment.account))
    if not assisted:
        return [_("They assist nobody at the moment. From now on they cannot register anyone to assist.")]
    return [ngettext(
        "The %(count)s person they assist loses them as a volunteer now: they can no longer see this "
        "person or declare for them.",
        "The %(count)s people they assist lose them as a volunteer now: they can no longer see these "
        "people or declare for them.",
        assisted,
    ) % {"count": assisted}]


@_appointer_only
@require_http_methods(["GET", "POST"])
def volunteer_revoke(request: SignedInRequest, appointment_id: int) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what revoking
    changes; the confirmation page's POST (`confirmed=1`) revokes."""
    appointment = appointments.access_appointment(request.user, appointment_id)
    if confirmed_post(request):
        appointments.volunteer_revoke(actor=request.user, appointment=appointment, ip=client_ip(request))
        messages.success(request, _("The appointment was revoked."))
        return redirect("backoffice:volunteers")
    listed = appointments.appointment_dict(appointment)
    name = listed["display_name"] or listed["phone"] or "—"
    active = listed["active"]
    return render(request, "confirm.html", {
        "console": True,
        "question": _("Revoke %(name)s as a volunteer?") % {"name": name},
        "consequences": _revoke_consequences(appointment, name) if active else [],
        "kept": _(
            "The assisted people's declarations and records stay, and so does the appointment, marked revoked. "
            "To make them a volunteer again, appoint them anew."
        ),
        "button": _("Yes, revoke"),
        "cancel_url": reverse("backoffice:volunteers"),
        "done": "" if active else _("This appointment is no longer in force: there is nothing to revoke."),
    })
