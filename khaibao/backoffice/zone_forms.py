"""The officials' forms for epidemic zones and places with a time window: what the zone and place
pages of the console (backoffice/zones.py, zone_places.py) ask, turned into the zones app's typed inputs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from khaibao.core.errors import ServiceError
from khaibao.core.forms import form_add_service_error
from khaibao.core.submissions import submission_key_field
from khaibao.places.names import vietnamese_sort_key
from khaibao.zones import selectors
from khaibao.zones.inputs import UNSET, CircleInput, PlaceInput, Unset, ZoneInput
from khaibao.zones.models import ZoneLevel
from khaibao.zones.places import DEFAULT_PLACE_RADIUS_M

_LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format=_LOCAL_INPUT)


def _datetime_field(label: Any, *, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, widget=DateTimeLocal(),
        input_formats=[_LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )


def _ward_choices(province_code: int | None) -> list[tuple[int, str]]:
    """The province's wards in Vietnamese alphabetical order (đ after d, tones after letters)."""
    wards = selectors.wards_for_select(province_code) if province_code is not None else []
    return [(w.code, w.name) for w in sorted(wards, key=lambda w: vietnamese_sort_key(w.name))]


class ZoneForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    level = forms.TypedChoiceField(label=gettext_lazy("Level"), choices=ZoneLevel.choices, coerce=int)
    lockdown = forms.BooleanField(label=gettext_lazy("Lockdown (phong tỏa)"), required=False)
    isolation = forms.BooleanField(label=gettext_lazy("Isolation (cách ly)"), required=False)
    whole_province = forms.BooleanField(label=gettext_lazy("The whole province"), required=False)
    # Tick boxes, searchable by name with JavaScript (static/js/ward-picker.js), a plain list without.
    wards = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Wards"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick every ward of the zone. Residents and travellers are found by ward."),
    )
    # Drawn on the map (static/js/zone-draw.js); typed by hand under "Coordinates (advanced)".
    circle_lat = forms.FloatField(label=gettext_lazy("Circle centre: latitude"), required=False)
    circle_lon = forms.FloatField(label=gettext_lazy("Circle centre: longitude"), required=False)
    circle_radius_m = forms.FloatField(label=gettext_lazy("Circle radius (metres, up to 50000)"), required=False)
    polygon = forms.CharField(
        label=gettext_lazy("Polygon (GeoJSON)"), required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=gettext_lazy('A GeoJSON Polygon: {"type": "Polygon", "coordinates": [[[lon, lat], …]]}.'),
    )
    valid_from = _datetime_field(gettext_lazy("In force from (empty: now)"))
    valid_until = _datetime_field(gettext_lazy("In force until (empty: until further notice)"))
    advice_vi = forms.CharField(label=gettext_lazy("Advice (Vietnamese)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    advice_en = forms.CharField(label=gettext_lazy("Advice (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # Publishing warns people: a double click publishes once (core/submissions.py).
    submission_key = submission_key_field()

    def __init__(self, *args: Any, province_code: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wards"].choices = _ward_choices(province_code)  # type: ignore[attr-defined]

    def chosen_ward_names(self) -> list[str]:
        """The names of the wards ticked (as submitted, or as saved), for the picker's summary."""
        names = dict(self.fields["wards"].choices)  # type: ignore[attr-defined]
        chosen = {str(v) for v in (self["wards"].value() or [])}
        return [name for code, name in names.items() if str(code) in chosen]

    def advanced_has_errors(self) -> bool:
        """Open the typed coordinates when one of them is wrong."""
        return any(self[name].errors for name in ("circle_lat", "circle_lon", "circle_radius_m", "polygon"))

    def service_input(self, *, province_code: int | Unset | None = UNSET) -> ZoneInput:
        d = self.cleaned_data
        circle = CircleInput(lat=d.get("circle_lat"), lon=d.get("circle_lon"), radius_m=d.get("circle_radius_m"))
        return ZoneInput(
            name=d["name"], level=d["level"], lockdown=d["lockdown"], isolation=d["isolation"],
            whole_province=d["whole_province"], province_code=province_code, ward_codes=list(d.get("wards") or []),
            circle=None if circle == CircleInput(lat=None, lon=None, radius_m=None) else circle,
            polygon=d.get("polygon") or None, valid_from=d.get("valid_from"), valid_until=d.get("valid_until"),
            advice_vi=d.get("advice_vi", ""), advice_en=d.get("advice_en", ""),
        )


class PlaceForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Address or name of the place"), max_length=300)
    ward = forms.TypedChoiceField(label=gettext_lazy("Ward"), required=False, coerce=int, empty_value=None)
    lat = forms.FloatField(label=gettext_lazy("Latitude"), required=False)
    lon = forms.FloatField(label=gettext_lazy("Longitude"), required=False)
    radius_m = forms.FloatField(label=gettext_lazy("Radius around the point (metres)"), initial=100)
    window_start = _datetime_field(gettext_lazy("The case was there from"), required=True)
    window_end = _datetime_field(gettext_lazy("until"), required=True)
    advice_vi = forms.CharField(
        label=gettext_lazy("Advice (Vietnamese)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        # The instruction only: the warning itself states who was where and when (zones/warnings.py).
        initial="Nếu bạn đã có mặt tại đây trong khung giờ trên, hãy gọi đường dây nóng và khai báo y tế.",
    )
    advice_en = forms.CharField(
        label=gettext_lazy("Advice (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        initial="If you were there during these hours, call the hotline and declare your health.",
    )
    submission_key = submission_key_field()

    def __init__(self, *args: Any, province_code: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ward"].choices = [("", "—"), *_ward_choices(province_code)]  # type: ignore[attr-defined]

    def advanced_has_errors(self) -> bool:
        return any(self[name].errors for name in ("lat", "lon", "radius_m"))

    def service_input(self, *, province_code: int | Unset | None = UNSET) -> PlaceInput:
        d = self.cleaned_data
        return PlaceInput(
            name=d["name"], province_code=province_code, ward_code=d.get("ward"), lat=d.get("lat"), lon=d.get("lon"),
            radius_m=d.get("radius_m") or DEFAULT_PLACE_RADIUS_M, window_start=d["window_start"],
            window_end=d["window_end"], advice_vi=d.get("advice_vi", ""), advice_en=d.get("advice_en", ""),
        )


# Service error fields → the forms' field names.
FIELD_NAMES = {
    "circle.lat": "circle_lat", "circle.lon": "circle_lon", "circle.radius_m": "circle_radius_m",
    "circle": "circle_lat", "ward_codes": "wards", "ward_code": "ward", "province_code": None,
}


def apply_errors(form: forms.Form, exc: ServiceError) -> None:
    """A service's refusal shown on the zone or place form, each message beside its field."""
    form_add_service_error(form, exc, rename=FIELD_NAMES)


def local(moment: datetime | None) -> datetime | None:
    """A stored moment as the form's datetime-local field shows it (local time)."""
    return timezone.localtime(moment) if moment is not None else None
