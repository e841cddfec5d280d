"""The forms of the citizen's declaring pages (web/declare.py): the universal declaration, the
risk-factor declaration and the daily update. They only parse; the services' field errors are
shown next to the matching inputs with the answers kept.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.forms import BoundField
from django.forms.widgets import Widget
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from khaibao.core.errors import ServiceError
from khaibao.declarations.answers import DeclarationIn, ExposureIn, RiskDeclarationIn, SymptomIn, TravelIn
from khaibao.declarations.labels import CONDITION_LABELS, EXPOSURE_LABELS, SYMPTOM_LABELS, label
from khaibao.declarations.questionnaires import (
    COMMITMENT_TEXT,
    Questionnaire,
)
from khaibao.monitoring.models import Feeling
from khaibao.places.selectors import countries_list, provinces_list
from khaibao.risk import engine

DECLARE_TRAVEL_ROWS = 3
RISK_TRAVEL_ROWS = 2
RISK_CONTACT_ROWS = 2
YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


def _summary_line(subject: str | None, label_text: str, message: str) -> str:
    """One line of the error summary: what it is about, then the message ("Ho — từ ngày: Nhập
    ngày."). A label ending in punctuation (a sentence, a question) takes no colon after it."""
    label_text = label_text.strip()
    if subject:
        label_text = f"{subject} — {label_text[:1].lower()}{label_text[1:]}"
    if not label_text:
        return message
    return f"{label_text} {message}" if label_text[-1] in ".?!:;…" else f"{label_text}: {message}"


class GroupBoundField(BoundField):
    """A field of these forms. A radio or checkbox group (`use_fieldset`) also names its error on
    each of its inputs (`aria-describedby="<auto_id>_error"`, beside Django's `aria-invalid`):
    Django would leave that to a fieldset it draws itself, and these pages draw their own
    (web/declare/_radio.html, the symptom and condition groups)."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.use_fieldset and self.errors and self.auto_id and not attrs.get("aria-describedby"):
            attrs["aria-describedby"] = f"{self.auto_id}_error"
        return attrs


def _date_field(label_text: Any) -> forms.DateField:
    return forms.DateField(
        label=label_text,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class AnswersForm(forms.Form):
    """Shared parts of the declaration forms: travel rows and symptoms with their dates.

    `field_for(key)` maps a service error key ("travel.1.to", "symptoms.0.onset") back to the
    input it is about, using the order in which the answers were handed to the service.

    A date given beside an unticked symptom or exposure is refused at the date (`clean`), never
    dropped: the person would otherwise be assessed without it.
    """

    bound_field_class = GroupBoundField

    def __init__(self, *args: Any, questionnaire: Questionnaire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        self._travel_rows: list[int] = []
        self._symptom_codes: list[str] = []
        self._exposure_rows: list[str] = []
        # Field name → what its label is about, for the inputs whose label alone ("Since", "When")
        # does not say (a symptom's date, a travel row's province).
        self._subjects: dict[str, str] = {}
        # (tick box, its date, what it is): a row whose date counts only with its tick.
        self._dated_ticks: list[tuple[str, str, str]] = []

    @property
    def window_days(self) -> int:
        """The days a declaration is about, as the forms tell the person ("the last 14 days"):
        the rule set's window (risk rule data, `window_days`), the days whose facts the
        assessment counts — not the questionnaire's wider look-back, which only bounds input."""
        return engine.current_rules().window_days

    # -- building ---------------------------------------------------------------------------
    def add_travel_rows(self, count: int) -> None:
        provinces = [("", "—"), *((str(p.code), p.name) for p in provinces_list())]
        countries = [("", "—"), *((c.code, c.name) for c in countries_list() if c.code != "VN")]
        for i in range(count):
            self.fields[f"travel_{i}_province"] = forms.ChoiceField(
                label=_("Province or city in Viet Nam"), choices=provinces, required=False
            )
            self.fields[f"travel_{i}_country"] = forms.ChoiceField(
                label=_("or another country"), choices=countries, required=False
            )
            self.fields[f"travel_{i}_from"] = _date_field(_("From"))
            self.fields[f"travel_{i}_to"] = _date_field(_("To"))
            place = _("Place %(n)s") % {"n": i + 1}  # the row's legend on the page
            for part in ("province", "country", "from", "to"):
                self._subjects[f"travel_{i}_{part}"] = place
        self.travel_count = count

    def add_symptoms(self) -> None:
        for code in self.questionnaire.symptoms:
            self.fields[f"symptom_{code}"] = forms.BooleanField(label=label(SYMPTOM_LABELS, code), required=False)
            self.fields[f"symptom_{code}_onset"] = _date_field(_("Since"))
            self._subjects[f"symptom_{code}_onset"] = str(label(SYMPTOM_LABELS, code))
            self._dated_ticks.append((f"symptom_{code}", f"symptom_{code}_onset", str(label(SYMPTOM_LABELS, code))))

    def add_commitment(self) -> None:
        self.fields["commitment"] = forms.BooleanField(label=COMMITMENT_TEXT, required=False)
        self.fields["consent"] = forms.BooleanField(label=self.questionnaire.consent_text, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for tick, when, subject in self._dated_ticks:
            if cleaned.get(when) and not cleaned.get(tick):
                message = _("You gave a date for %(name)s but did not tick it. Tick it, or clear the date.")
                self.add_error(when, message % {"name": subject})
        return cleaned

    # -- for templates ----------------------------------------------------------------------
    def error_summary(self) -> list[dict[str, str]]:
        """The first error of each field, in page order, as (anchor, text): each text says what it
        is about, as read far from its field (web/declare/_error_summary.html)."""
        lines = []
        for field in self:
            if not field.errors:
                continue
            anchor = field.id_for_label or f"{field.auto_id}_0"  # a radio or checkbox group: its first input
            text = _summary_line(self._subjects.get(field.name), str(field.label or ""), str(field.errors[0]))
            lines.append({"anchor": anchor, "text": text})
        return lines

    def commitment_fields(self) -> list[forms.BoundField]:
        return [self["commitment"], self["consent"]]

    def travel_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "number": i + 1,
                "province": self[f"travel_{i}_province"],
                "country": self[f"travel_{i}_country"],
                "start": self[f"travel_{i}_from"],
                "end": self[f"travel_{i}_to"],
            }
            for i in range(self.travel_count)
        ]

    def symptom_rows(self) -> list[dict[str, Any]]:
        return [
            {"tick": self[f"symptom_{code}"], "when": self[f"symptom_{code}_onset"]}
            for code in self.questionnaire.symptoms
        ]

    # -- to service input -------------------------------------------------------------------
    def travel_input(self) -> tuple[TravelIn, ...]:
        data = self.cleaned_data
        entries = []
        self._travel_rows = []
        for i in range(self.travel_count):
            province = data.get(f"travel_{i}_province") or None
            country = data.get(f"travel_{i}_country") or None
            start, end = data.get(f"travel_{i}_from"), data.get(f"travel_{i}_to")
            if not any((province, country, start, end)):
                continue
            self._travel_rows.append(i)
            entries.append(TravelIn(province_code=int(province) if province else None, country=country, start=start, end=end))
        return tuple(entries)

    def symptoms_input(self) -> tuple[SymptomIn, ...]:
        self._symptom_codes = [c for c in self.questionnaire.symptoms if self.cleaned_data.get(f"symptom_{c}")]
        return tuple(SymptomIn(code=c, onset=self.cleaned_data.get(f"symptom_{c}_onset")) for c in self._symptom_codes)

    def field_for(self, key: str) -> str | None:
        parts = key.split(".")
        head = parts[0]
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tail = parts[2] if len(parts) > 2 else ""
        if head == "travel" and index is not None and index < len(self._travel_rows):
            row = self._travel_rows[index]
            suffix = {"from": "from", "to": "to", "country": "country"}.get(tail, "province")
            return f"travel_{row}_{suffix}"
        if head == "symptoms" and index is not None and index < len(self._symptom_codes):
            code = self._symptom_codes[index]
            return f"symptom_{code}_onset" if tail == "onset" else f"symptom_{code}"
        return key if key in self.fields else None

    def add_service_errors(self, exc: ServiceError) -> None:
        for key, message in exc.fields.items():
            name = self.field_for(key)
            if name is not None and name not in self.errors:
                self.add_error(name, message)
            elif name is None:
                self.add_error(None, message)
        if not exc.fields:
            self.add_error(None, exc.message)


class DeclarationForm(AnswersForm):
    """The official form (tờ khai y tế toàn dân), rendered without JavaScript."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        q = self.questionnaire
        self.add_travel_rows(DECLARE_TRAVEL_ROWS)
        self.add_symptoms()
        for code in q.exposures:
            self.fields[f"exposure_{code}"] = forms.BooleanField(label=label(EXPOSURE_LABELS, code), required=False)
            self.fields[f"exposure_{code}_date"] = _date_field(_("When"))
            self._subjects[f"exposure_{code}_date"] = str(label(EXPOSURE_LABELS, code))
            self._dated_ticks.append((f"exposure_{code}", f"exposure_{code}_date", str(label(EXPOSURE_LABELS, code))))
        self.fields["conditions"] = forms.MultipleChoiceField(
            label=_("Underlying conditions"),
            choices=[(c, label(CONDITION_LABELS, c)) for c in q.conditions],
            widget=forms.CheckboxSelectMultiple,
            required=False,
        )
        self.fields["pregnant"] = forms.BooleanField(label=_("Pregnant"), required=False)
        self.add_commitment()

    def exposure_rows(self) -> list[dict[str, Any]]:
        return [
            {"tick": self[f"exposure_{code}"], "when": self[f"exposure_{code}_date"]}
            for code in self.questionnaire.exposures
        ]

    def to_input(self) -> DeclarationIn:
        data = self.cleaned_data
        self._exposure_rows = [c for c in self.questionnaire.exposures if data.get(f"exposure_{c}")]
        return DeclarationIn(
            travel=self.travel_input(),
            symptoms=self.symptoms_input(),
            exposures=tuple(ExposureIn(code=c, on=data.get(f"exposure_{c}_date")) for c in self._exposure_rows),
            conditions=tuple(data.get("conditions") or ()),
            pregnant=bool(data.get("pregnant")),
            commitment=bool(data.get("commitment")),
            consent=bool(data.get("consent")),
        )

    def field_for(self, key: str) -> str | None:
        parts = key.split(".")
        if parts[0] == "exposures" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(self._exposure_rows):
            code = self._exposure_rows[int(parts[1])]
            return f"exposure_{code}_date" if parts[-1] == "date" else f"exposure_{code}"
        if parts[0] == "conditions":
            return "conditions"
        return super().field_for(key)


class RiskDeclarationForm(AnswersForm):
    """The three questions of the risk-factor declaration and their details."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        q = self.questionnaire
        self.fields["contact_with_case"] = forms.ChoiceField(
            label=_("In the last %(days)d days, were you in contact with a confirmed or suspected case?")
            % {"days": self.window_days},
            choices=YES_NO, widget=forms.RadioSelect, required=False,
        )
        contact_choices = [("", "—"), *((c, label(EXPOSURE_LABELS, c)) for c in q.risk_contacts)]
        for i in range(RISK_CONTACT_ROWS):
            self.fields[f"contact_{i}_code"] = forms.ChoiceField(label=_("Whom"), choices=contact_choices, required=False)
            self.fields[f"contact_{i}_date"] = _date_field(_("When"))
            contact = _("Contact %(n)s") % {"n": i + 1}
            self._subjects[f"contact_{i}_code"] = self._subjects[f"contact_{i}_date"] = contact
        self.fields["came_from_epidemic_area"] = forms.ChoiceField(
            label=_("In the last %(days)d days, did you come from an epidemic area?") % {"days": self.window_days},
            choices=YES_NO, widget=forms.RadioSelect, required=False,
        )
        self.add_travel_rows(RISK_TRAVEL_ROWS)
        self.fields["suspect_infection"] = forms.ChoiceField(
            label=_("Do you think you may be infected, or do you have symptoms?"),
            choices=YES_NO, widget=forms.RadioSelect, required=False,
        )
        self.add_symptoms()
        self.add_commitment()
        self._contact_rows: list[int] = []

    def contact_rows(self) -> list[dict[str, Any]]:
        return [{"code": self[f"contact_{i}_code"], "when": self[f"contact_{i}_date"]} for i in range(RISK_CONTACT_ROWS)]

    def to_input(self) -> RiskDeclarationIn:
        data = self.cleaned_data
        self._contact_rows = [
            i for i in range(RISK_CONTACT_ROWS) if data.get(f"contact_{i}_code") or data.get(f"contact_{i}_date")
        ]
        return RiskDeclarationIn(
            contact_with_case=data.get("contact_with_case") == "yes",
            contacts=tuple(
                ExposureIn(code=data.get(f"contact_{i}_code") or "", on=data.get(f"contact_{i}_date"))
                for i in self._contact_rows
            ),
            came_from_epidemic_area=data.get("came_from_epidemic_area") == "yes",
            travel=self.travel_input(),
            suspect_infection=data.get("suspect_infection") == "yes",
            symptoms=self.symptoms_input(),
            commitment=bool(data.get("commitment")),
            consent=bool(data.get("consent")),
        )

    def field_for(self, key: str) -> str | None:
        parts = key.split(".")
        if parts[0] == "contacts":
            if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(self._contact_rows):
                row = self._contact_rows[int(parts[1])]
                return f"contact_{row}_date" if parts[-1] == "date" else f"contact_{row}_code"
            return "contact_with_case"
        if key == "travel":
            return "came_from_epidemic_area"
        if key == "symptoms":
            return "suspect_infection"
        return super().field_for(key)


class DailyUpdateForm(forms.Form):
    bound_field_class = GroupBoundField
    day = forms.TypedChoiceField(label=gettext_lazy("Day"), widget=forms.RadioSelect, coerce=date.fromisoformat)
    symptoms = forms.MultipleChoiceField(label=gettext_lazy("Symptoms today"), widget=forms.CheckboxSelectMultiple, required=False)
    temperature = forms.DecimalField(
        label=gettext_lazy("Temperature (°C), if measured"), required=False, max_digits=3, decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    # Not pre-chosen, and not required here: the service refuses an update without it, with its
    # field message (one owner for the rule, web and API alike).
    feeling = forms.ChoiceField(label=gettext_lazy("How do you feel?"), choices=Feeling.choices, widget=forms.RadioSelect, required=False)

    def __init__(self, *args: Any, today: date, questionnaire: Questionnaire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        yesterday = today - timedelta(days=1)
        # Both with their date: just after midnight "yesterday" alone leaves the day in doubt.
        self.fields["day"].choices = [  # type: ignore[attr-defined]
            (today.isoformat(), _("Today, %(date)s") % {"date": today.strftime("%d/%m/%Y")}),
            (yesterday.isoformat(), _("Yesterday, %(date)s") % {"date": yesterday.strftime("%d/%m/%Y")}),
        ]
        self.fields["symptoms"].choices = [(c, label(SYMPTOM_LABELS, c)) for c in questionnaire.symptoms]  # type: ignore[attr-defined]

    def add_service_errors(self, exc: ServiceError) -> None:
        for key, message in exc.fields.items():
            name = key.split(".")[0]
            self.add_error(name if name in self.fields else None, message)
        if not exc.fields:
            self.add_error(None, exc.message)
