"""The venue registration form, one for the citizen's page and the organisation admin's console,
so both show the same fields and the same field-level errors. Types only: the rules live in
venues.services (`venue_register`, as for the API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.places import selectors as places
from khaibao.venues.models import VenueKind

# The service's input fields, in the form's names.
VENUE_FIELDS = ("name", "kind", "ward_code", "street", "contact_phone", "lat", "lon")


class VenueForm(forms.Form):
    """Field names are the API's, so service errors map one to one."""

    name = forms.CharField(label=gettext_lazy("Name of the venue"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of venue"), choices=VenueKind.choices)
    province = forms.TypedChoiceField(label=gettext_lazy("Province or city"), coerce=int)
    ward_code = forms.TypedChoiceField(label=gettext_lazy("Ward or commune"), coerce=int)
    street = forms.CharField(label=gettext_lazy("House number and street"), max_length=300)
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone"), max_length=20, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    lat = forms.FloatField(label=gettext_lazy("Latitude (optional)"), required=False,
                           widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    lon = forms.FloatField(label=gettext_lazy("Longitude (optional)"), required=False,
                           widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provinces = list(places.provinces_list())
        province_field = self.fields["province"]
        ward_field = self.fields["ward_code"]
        assert isinstance(province_field, forms.ChoiceField)
        assert isinstance(ward_field, forms.ChoiceField)
        province_field.choices = [("", _("— choose —"))] + [(p.code, p.name) for p in provinces]
        # The public ward list (no data): the same <select> the citizen's forms swap in.
        province_field.widget.attrs.update({
            "hx-get": reverse("web:report_wards"), "hx-target": "#ward-field", "hx-swap": "outerHTML",
        })
        raw = self.data.get("province") if self.is_bound else self.initial.get("province")
        try:
            province = int(raw or 0)
        except (TypeError, ValueError):
            province = 0
        wards = list(places.wards_of_province(province)) if province else []
        prompt = _("— choose —") if province else _("— choose the province first —")
        ward_field.choices = [("", prompt)] + [(w.code, w.name) for w in wards]

    def venue_data(self) -> dict[str, Any]:
        """The cleaned fields `services.VenueInput` takes."""
        return {k: self.cleaned_data[k] for k in VENUE_FIELDS}
