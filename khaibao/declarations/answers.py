"""The answers of a declaration form, their validation and their stored (normalised) shape.

The API (pydantic) and the web forms (Django forms) only check types; every rule about what a
declaration may say lives here, so both interfaces refuse the same things with the same field
names ("travel.0.to", "symptoms.1.onset", "commitment"...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from khaibao.core.errors import ServiceError
from khaibao.core.params import code_in_range
from khaibao.declarations.questionnaires import Questionnaire
from khaibao.places.models import Country, Province, Ward


@dataclass(frozen=True)
class TravelIn:
    ward_code: int | None = None
    province_code: int | None = None
    country: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class SymptomIn:
    code: str
    onset: date | None = None


@dataclass(frozen=True)
class ExposureIn:
    code: str
    on: date | None = None


@dataclass(frozen=True)
class DeclarationIn:
    """The universal declaration form (tờ khai y tế toàn dân)."""

    travel: Sequence[TravelIn] = ()
    symptoms: Sequence[SymptomIn] = ()
    exposures: Sequence[ExposureIn] = ()
    conditions: Sequence[str] = ()
    pregnant: bool = False
    commitment: bool | None = None
    consent: bool | None = None


@dataclass(frozen=True)
class RiskDeclarationIn:
    """The risk-factor declaration (khai báo yếu tố nguy cơ): three yes/no questions and details."""

    contact_with_case: bool = False
    contacts: Sequence[ExposureIn] = ()  # whom (an exposure code) and when
    came_from_epidemic_area: bool = False
    travel: Sequence[TravelIn] = ()  # where and when
    suspect_infection: bool = False
    symptoms: Sequence[SymptomIn] = ()  # which and since when
    commitment: bool | None = None
    consent: bool | None = None


@dataclass
class _Errors:
    fields: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ServiceError(_("Some answers need correcting."), code="invalid", fields=self.fields)


def _check_date(errors: _Errors, name: str, value: date | None, *, today: date, lookback: int) -> None:
    if value is None:
        errors.add(name, _("Give the date."))
    elif value > today:
        errors.add(name, _("This date is in the future."))
    elif value < today - timedelta(days=lookback):
        errors.add(name, _("Only the last %(days)d days matter here.") % {"days": lookback})


@dataclass(frozen=True)
class _KnownPlaces:
    wards: dict[int, int]  # ward code → its province code
    provinces: set[int]
    countries: set[str]


def _known_places(entries: Sequence[TravelIn]) -> _KnownPlaces:
    # Out-of-range numbers are simply unknown codes (and would overflow a database integer).
    ward_codes = {t.ward_code for t in entries if t.ward_code is not None and code_in_range(t.ward_code)}
    province_codes = {t.province_code for t in entries if t.province_code is not None and code_in_range(t.province_code)}
    countries = {t.country.strip().upper() for t in entries if t.country}
    return _KnownPlaces(
        wards=dict(Ward.objects.filter(code__in=ward_codes).values_list("code", "province_id")) if ward_codes else {},
        provinces=set(Province.objects.filter(code__in=province_codes).values_list("code", flat=True))
        if province_codes else set(),
        countries=set(Country.objects.filter(code__in=countries).values_list("code", flat=True)) if countries else set(),
    )


def _travel(errors: _Errors, entries: Sequence[TravelIn], q: Questionnaire, today: date, prefix: str = "travel") -> list[dict[str, Any]]:
    if len(entries) > q.max_travel_entries:
        errors.add(prefix, _("At most %(count)d travel entries.") % {"count": q.max_travel_entries})
        return []
    known = _known_places(entries)
    out: list[dict[str, Any]] = []
    for i, t in enumerate(entries):
        name = f"{prefix}.{i}"
        country = t.country.strip().upper() if t.country else None
        _travel_place(errors, name, t, country, known)
        _travel_dates(errors, name, t, q, today)
        out.append({
            "ward_code": t.ward_code,
            "province_code": known.wards.get(t.ward_code) if t.ward_code is not None else t.province_code,
            "country": country,
            "from": t.start.isoformat() if t.start else None,
            "to": t.end.isoformat() if t.end else None,
        })
    return out


def _travel_place(errors: _Errors, name: str, t: TravelIn, country: str | None, known: _KnownPlaces) -> None:
    given = [v for v in (t.ward_code, t.province_code, country) if v is not None]
    if len(given) != 1:
        errors.add(name, _("Give one place: a ward, a province or a country."))
    elif t.ward_code is not None and t.ward_code not in known.wards:
        errors.add(f"{name}.ward_code", _("Unknown ward code."))
    elif t.province_code is not None and t.province_code not in known.provinces:
        errors.add(f"{name}.province_code", _("Unknown province code."))
    elif country is not None and country not in known.countries:
        errors.add(f"{name}.country", _("Unknown country code."))
    elif country == "VN":
        errors.add(f"{name}.country", _("For a place in Viet Nam, give the province or the ward."))


def _travel_dates(errors: _Errors, name: str, t: TravelIn, q: Questionnaire, today: date) -> None:
    if t.start is None:
        errors.add(f"{name}.from", _("Give the date."))
    elif t.start > today:
        errors.add(f"{name}.from", _("This date is in the future."))
    # Only the end date is bounded in the past: a long stay abroad that ended last week
    # started long ago and still matters.
    _check_date(errors, f"{name}.to", t.end, today=today, lookback=q.lookback_days)
    if t.start is not None and t.end is not None and t.end < t.start:
        errors.add(f"{name}.to", _("The trip cannot end before it starts."))


def _symptoms(errors: _Errors, entries: Sequence[SymptomIn], q: Questionnaire, today: date) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for i, s in enumerate(entries):
        if s.code not in q.symptoms:
            errors.add(f"symptoms.{i}.code", _("Unknown symptom."))
        elif s.code in seen:
            errors.add(f"symptoms.{i}.code", _("Each symptom only once."))
        seen.add(s.code)
        _check_date(errors, f"symptoms.{i}.onset", s.onset, today=today, lookback=q.lookback_days)
        out.append({"code": s.code, "onset": s.onset.isoformat() if s.onset else None})
    return out


def _exposures(
    errors: _Errors, entries: Sequence[ExposureIn], q: Questionnaire, today: date,
    *, prefix: str = "exposures", allowed: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    allowed = q.exposures if allowed is None else allowed
    if len(entries) > q.max_exposure_entries:
        errors.add(prefix, _("At most %(count)d entries.") % {"count": q.max_exposure_entries})
        return []
    out = []
    for i, e in enumerate(entries):
        if e.code not in allowed:
            errors.add(f"{prefix}.{i}.code", _("Unknown kind of contact or exposure."))
        _check_date(errors, f"{prefix}.{i}.date", e.on, today=today, lookback=q.lookback_days)
        out.append({"code": e.code, "date": e.on.isoformat() if e.on else None})
    return out


def _commitment_and_consent(errors: _Errors, commitment: bool | None, consent: bool | None) -> None:
    if commitment is not True:
        errors.add("commitment", _("Tick the commitment that the information is true."))
    if consent is not True:
        errors.add("consent", _("Tick the consent to use this information for epidemic prevention."))


def declaration_answers(data: DeclarationIn, *, questionnaire: Questionnaire, today: date) -> dict[str, Any]:
    """The normalised answers of a universal declaration, or ServiceError naming every bad field."""
    errors = _Errors()
    travel = _travel(errors, data.travel, questionnaire, today)
    symptoms = _symptoms(errors, data.symptoms, questionnaire, today)
    exposures = _exposures(errors, data.exposures, questionnaire, today)
    conditions: list[str] = []
    for i, code in enumerate(data.conditions):
        if code not in questionnaire.conditions:
            errors.add(f"conditions.{i}", _("Unknown condition."))
        elif code not in conditions:
            conditions.append(code)
    _commitment_and_consent(errors, data.commitment, data.consent)
    errors.raise_if_any()
    return {
        "travel": travel,
        "symptoms": symptoms,
        "exposures": exposures,
        "conditions": conditions,
        "pregnant": bool(data.pregnant),
    }


def risk_declaration_answers(data: RiskDeclarationIn, *, questionnaire: Questionnaire, today: date) -> dict[str, Any]:
    """The normalised answers of a risk-factor declaration, or ServiceError naming every bad field.

    A "yes" needs its details and a "no" must come without them, so that what officials read
    is what the person meant. Three "no" answers are refused: there is no risk factor to
    declare, and the universal declaration is the right form.
    """
    errors = _Errors()
    if not (data.contact_with_case or data.came_from_epidemic_area or data.suspect_infection):
        errors.add("contact_with_case", _("Answer yes to at least one question, or make a health declaration instead."))
    for flag, entries, name, message in (
        (data.contact_with_case, data.contacts, "contacts", _("Say whom you were in contact with, and when.")),
        (data.came_from_epidemic_area, data.travel, "travel", _("Say where you came from, and when.")),
        (data.suspect_infection, data.symptoms, "symptoms", _("Say which symptoms you have, and since when.")),
    ):
        if flag and not entries:
            errors.add(name, message)
        if not flag and entries:
            errors.add(name, _("You answered no to this question; remove these details or answer yes."))
    contacts = _exposures(errors, data.contacts, questionnaire, today, prefix="contacts", allowed=questionnaire.risk_contacts)
    travel = _travel(errors, data.travel, questionnaire, today)
    symptoms = _symptoms(errors, data.symptoms, questionnaire, today)
    _commitment_and_consent(errors, data.commitment, data.consent)
    errors.raise_if_any()
    return {
        "contact_with_case": bool(data.contact_with_case),
        "came_from_epidemic_area": bool(data.came_from_epidemic_area),
        "suspect_infection": bool(data.suspect_infection),
        "travel": travel,
        "symptoms": symptoms,
        "exposures": contacts,
        "conditions": [],
        "pregnant": False,
    }
