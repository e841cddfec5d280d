"""Household pages: the list, add, edit and remove a person, and "download my data".

The pages call the same services as the API (people.households) and the same field rules
(people.validators); a ServiceError's field messages land next to the form fields because
the form uses the API's field names.

Without JavaScript the ward list follows the province through a "Show the wards" button that
re-posts the form (so nothing typed is lost and no personal data goes into a URL); with htmx
the ward <select> is swapped as soon as the province changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
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
from khaibao.core.http import client_ip, confirmed_post
from khaibao.people import households, selectors
from khaibao.people import validators as v
from khaibao.people.access import access_person_for_declarer
from khaibao.people.models import Person, Relation, Sex
from khaibao.places import selectors as places
from khaibao.privacy import selectors as privacy_selectors
from khaibao.privacy import services as privacy_services
from khaibao.web.submissions import FIELD as SUBMISSION_FIELD
from khaibao.web.submissions import submission_once

RELOAD = "_reload_wards"


def citizen_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in citizens only; anyone else goes to the citizen sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not getattr(user, "is_citizen", False):
            return redirect_to_login(request.get_full_path(), "web:sign_in")
        return view(request, *args, **kwargs)

    return wrapper


class PersonForm(forms.Form):
    """Field names are the API's, so service errors map one to one."""

    relation = forms.ChoiceField(label=gettext_lazy("Relation to you"), choices=Relation.choices)
    full_name = forms.CharField(
        label=gettext_lazy("Full name"), required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": v.FULL_NAME_MAX}),
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": gettext_lazy("Enter the date as dd/mm/yyyy.")},
    )
    birth_year = forms.IntegerField(
        label=gettext_lazy("Or only the year of birth"), required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": gettext_lazy("Enter a year, e.g. 1960.")},
    )
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), choices=Sex.choices, widget=forms.RadioSelect)
    nationality = forms.ChoiceField(label=gettext_lazy("Nationality"), initial="VN")
    id_number = forms.CharField(
        label=gettext_lazy("ID number (CCCD, CMND or passport)"), required=False,
        help_text=gettext_lazy("Required from age 14; optional for younger children."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 20}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone (optional)"), required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "placeholder": "0912345678"}),
    )
    province = forms.TypedChoiceField(label=gettext_lazy("Province or city"), coerce=int)
    ward_code = forms.TypedChoiceField(label=gettext_lazy("Ward or commune"), coerce=int)
    street = forms.CharField(
        label=gettext_lazy("House number and street"), required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address", "maxlength": v.STREET_MAX}),
    )

    def __init__(self, *args: Any, relations: list[tuple[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if relations is None:
            del self.fields["relation"]
        else:
            self._choice("relation").choices = relations
        self._choice("nationality").choices = [(c.code, c.name) for c in places.countries_list()]
        provinces = list(places.provinces_list())
        self._choice("province").choices = [("", _("— choose —"))] + [(p.code, p.name) for p in provinces]
        # htmx swaps the ward <select> when the province changes; without JS, see RELOAD.
        self.fields["province"].widget.attrs.update({
            "hx-get": reverse("web:household_wards"), "hx-target": "#ward-field", "hx-swap": "outerHTML",
        })
        province = self._province_code({p.code for p in provinces})
        wards = list(places.wards_of_province(province)) if province else []
        prompt = _("— choose —") if province else _("— choose the province first —")
        self._choice("ward_code").choices = [("", prompt)] + [(w.code, w.name) for w in wards]

    def _choice(self, name: str) -> forms.ChoiceField:
        return cast(forms.ChoiceField, self.fields[name])

    def _province_code(self, known: set[int]) -> int | None:
        raw = self.data.get("province") if self.is_bound else self.initial.get("province")
        try:
            code = int(str(raw))
        except ValueError:
            return None
        return code if code in known else None

    def _run(self, fn: Callable[..., Any], name: str, **kw: Any) -> Any:
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        return fn(value, **kw)

    def clean_full_name(self) -> str:
        return v.clean_full_name(self.cleaned_data.get("full_name", ""))

    def clean_date_of_birth(self) -> Any:
        return self._run(v.clean_date_of_birth, "date_of_birth", today=timezone.localdate())

    def clean_birth_year(self) -> Any:
        return self._run(v.clean_birth_year, "birth_year", today=timezone.localdate())

    def clean_id_number(self) -> str:
        return v.clean_id_number(self.cleaned_data.get("id_number", ""))

    def clean_phone(self) -> str:
        return v.clean_phone(self.cleaned_data.get("phone", ""))

    def clean_street(self) -> str:
        return v.clean_street(self.cleaned_data.get("street", ""))

    def add_service_error(self, exc: ServiceError) -> None:
        form_add_service_error(self, exc)

    def add_rules_of_add(self, *, owner: Account) -> None:
        """On an invalid form, what the add's own rules say about the fields that are valid (an ID
        number required by age, the ward…), so every error shows in one round, not one after the
        other."""
        values = {name: value for name, value in self.cleaned_data.items() if name != "province"}
        problems = households.household_person_add_problems(owner=owner, values=values, failed=set(self.errors))
        for name, message in problems.items():
            self.add_error(name if name in self.fields else None, message)


def _person(request: HttpRequest, person_id: int) -> Person:
    # (An id no row can have is the access layer's same 404 as "not yours".)
    return access_person_for_declarer(request.user, person_id)


def _relations_for_add(owner: Account) -> list[tuple[str, Any]]:
    has_self = households.owner_self_person(owner) is not None
    return [(value, label) for value, label in Relation.choices if not (has_self and value == Relation.SELF)]


def _address_initial(person: Person | None) -> dict[str, Any]:
    if person is None:
        return {}
    return {"province": person.home_ward.province_id, "ward_code": person.home_ward_id, "street": person.street}


def _reload_form(request: HttpRequest, **kwargs: Any) -> PersonForm:
    """An unbound form showing what was typed, with the wards of the newly chosen province."""
    skip = {"csrfmiddlewaretoken", RELOAD, "ward_code", SUBMISSION_FIELD}
    initial = {k: val for k, val in request.POST.items() if k not in skip}
    return PersonForm(initial=initial, **kwargs)


@citizen_required
@require_GET
def household_list(request: SignedInRequest) -> HttpResponse:
    entries = selectors.household_entries(account=request.user)
    people = [selectors.person_public_dict(e) for e in entries]  # each relation with its label
    return render(request, "web/household/list.html", {
        "household": [p for p in people if not p["assisted"]],
        "assisted": [p for p in people if p["assisted"]],
    })


@citizen_required
@require_http_methods(["GET", "POST"])
@submission_once
def household_add(request: SignedInRequest) -> HttpResponse:
    """Add a person; a double tap or a re-post of the same form (its submission key) adds them once —
    a child without an ID number has nothing else that would tell the two apart."""
    owner: Account = request.user
    relations = _relations_for_add(owner)
    if request.method == "POST" and RELOAD in request.POST:
        form = _reload_form(request, relations=relations)
    elif request.method == "POST":
        form = PersonForm(request.POST, relations=relations)
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = households.household_person_add(
                    actor=owner, owner=owner, relation=data["relation"], full_name=data["full_name"],
                    sex=data["sex"], home_ward_id=data["ward_code"], birth_year=data["birth_year"],
                    date_of_birth=data["date_of_birth"], nationality_id=data["nationality"],
                    id_number=data["id_number"], phone=data["phone"], street=data["street"],
                    ip=client_ip(request),
                )
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("%(name)s was added to your household.") % {"name": person.full_name})
                return redirect("web:household")
        else:
            form.add_rules_of_add(owner=owner)
    else:
        own = households.owner_self_person(owner)
        initial: dict[str, Any] = {"nationality": "VN", **_address_initial(own)}
        initial["relation"] = Relation.SELF if own is None else Relation.CHILD
        form = PersonForm(initial=initial, relations=relations)
    return render(request, "web/household/form.html", {"form": form, "person": None, "reload": RELOAD})


@citizen_required
@require_http_methods(["GET", "POST"])
def household_edit(request: SignedInRequest, person_id: int) -> HttpResponse:
    person = _person(request, person_id)
    entry = selectors.household_entry(account=request.user, person=person)
    # "self" never changes (see household_person_update); an assisted person has no relation.
    relations = None
    if entry.relation is not None and entry.relation != Relation.SELF:
        relations = [(value, label) for value, label in Relation.choices if value != Relation.SELF]
    if request.method == "POST" and RELOAD in request.POST:
        form = _reload_form(request, relations=relations)
    elif request.method == "POST":
        form = PersonForm(request.POST, relations=relations)
        if form.is_valid():
            changes = {k: val for k, val in form.cleaned_data.items() if k != "province"}
            # The page never shows the whole ID or phone number: an empty box keeps the old one.
            for secret in ("id_number", "phone"):
                if not changes.get(secret):
                    changes.pop(secret, None)
            try:
                households.household_person_update(actor=request.user, person=person, changes=changes, ip=client_ip(request))
            except ServiceError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The details of %(name)s were saved.") % {"name": person.full_name})
                return redirect("web:household")
    else:
        initial = {
            "relation": entry.relation, "full_name": person.full_name, "date_of_birth": person.date_of_birth,
            "birth_year": None if person.date_of_birth else person.birth_year, "sex": person.sex,
            "nationality": person.nationality_id, **_address_initial(person),
        }
        form = PersonForm(initial=initial, relations=relations)
    return render(request, "web/household/form.html", {
        "form": form, "person": person, "reload": RELOAD,
        "masked_id": selectors.mask_id_number(person.id_number or ""),
        "masked_phone": selectors.masked_phone(person.phone or ""),
    })


@citizen_required
@require_http_methods(["GET", "POST"])
def household_remove(request: SignedInRequest, person_id: int) -> HttpResponse:
    """GET (or a POST without `confirmed`, from an old page or a script) says what removing the
    person means; the confirmation page's POST (`confirmed=1`) removes them."""
    person = _person(request, person_id)
    entry = selectors.household_entry(account=request.user, person=person)
    name = person.full_name
    if confirmed_post(request):
        households.household_person_remove(actor=request.user, person=person, ip=client_ip(request))
        messages.success(request, _("%(name)s was removed from your household.") % {"name": name})
        return redirect("web:household")
    if entry.relation == Relation.SELF:
        return render(request, "confirm.html", {"console": False, **_remove_self_words(name)})
    assisted = entry.assisted
    return render(request, "confirm.html", {
        "console": False,
        "question": (_("Stop assisting %(name)s?") if assisted else _("Remove %(name)s from your household?"))
        % {"name": name},
        "consequences": [_("You will no longer declare or send daily updates for this person.")],
        "kept": _(
            "Declarations already sent are kept for the health authorities, as the law requires; if there are "
            "none, the person's details are deleted."
        ),
        "button": _("Yes, stop assisting") if assisted else _("Yes, remove"),
        "cancel_url": reverse("web:household"),
    })


def _remove_self_words(name: str) -> dict[str, Any]:
    # What households.household_person_remove does to the "self" entry: only that entry leaves
    # (the family stays); the record is kept, unlinked from the account, when it has history or
    # someone else still declares for it, and deleted otherwise.
    return {
        "question": _("Remove yourself (%(name)s) from your household?") % {"name": name},
        "consequences": [
            _("You will no longer be able to declare or send daily updates for yourself, until you add "
              "yourself again."),
            _("The other people in your household stay, and you can still declare for them."),
        ],
        "kept": _(
            "Your declarations already sent are kept for the health authorities, as the law requires, but no "
            "longer linked to your account; if there are none and nobody else declares for you, your details are "
            "deleted."
        ),
        "button": _("Yes, remove myself"),
        "cancel_url": reverse("web:household"),
    }


@citizen_required
@require_GET
def household_wards(request: SignedInRequest) -> HttpResponse:
    """The ward <select> for a province (swapped in by htmx when the province changes)."""
    form = PersonForm(initial={"province": request.GET.get("province", "")})
    return render(request, "web/household/_ward_field.html", {"form": form})


@citizen_required
@require_GET
def household_export(request: SignedInRequest) -> HttpResponse:
    """The same JSON as GET /api/v1/me/export, as a file to keep."""
    data = privacy_services.household_export(actor=request.user, ip=client_ip(request))
    response = HttpResponse(privacy_selectors.export_json(data), content_type="application/json; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="khaibao-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response

