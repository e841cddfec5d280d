"""The console's contact form. Types only: the rules live in tracing.services (same as the API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from khaibao.people.models import Sex
from khaibao.places import selectors as places
from khaibao.tracing.models import ContactKind


class ContactForm(forms.Form):
    # Its own prefix: the case view shows it beside the follow-up form, which has a `kind` too
    # (one id per element: a label must focus its own control).
    prefix = "contact"
    # Not prefixed: the htmx ward list (backoffice.tracing.tracing_wards) asks for `province`.
    UNPREFIXED = frozenset({"province"})

    full_name = forms.CharField(label=_("Full name"), max_length=200)
    phone = forms.CharField(
        label=_("Phone number"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("ID number (CCCD, CMND or passport)"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    province = forms.TypedChoiceField(label=_("Province or city"), coerce=int, required=False)
    ward_code = forms.TypedChoiceField(
        label=_("Ward or commune where the contact lives"), coerce=int, required=False, empty_value=None
    )
    contact_date = forms.DateField(label=_("Date of contact"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Kind of contact"), choices=[("", "—"), *ContactKind.choices])
    birth_year = forms.IntegerField(
        label=_("Year of birth (needed if not registered yet)"), required=False, min_value=1, max_value=9999
    )
    sex = forms.ChoiceField(
        label=_("Sex (needed if not registered yet)"), required=False, choices=[("", "—"), *Sex.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        province_field: Any = self.fields["province"]
        province_field.choices = [("", _("Choose the province"))] + [(p.code, p.name) for p in places.provinces_list()]
        province_field.widget.attrs.update({"hx-get": reverse("backoffice:tracing_wards"), "hx-target": "#contact-ward-field", "hx-swap": "outerHTML"})
        raw = self.data.get("province") if self.is_bound else self.initial.get("province")
        self.set_province(raw)

    def add_prefix(self, field_name: str) -> str:
        return field_name if field_name in self.UNPREFIXED else super().add_prefix(field_name)

    def set_province(self, raw: Any) -> None:
        try:
            code = int(raw)
        except (TypeError, ValueError):
            code = 0
        ward_field: Any = self.fields["ward_code"]
        try:
            wards = list(places.wards_of_province(code))
        except Http404:
            wards = []
        prompt = _("Choose the ward") if wards else _("Choose the province first")
        ward_field.choices = [("", prompt)] + [(w.code, w.name) for w in wards]
