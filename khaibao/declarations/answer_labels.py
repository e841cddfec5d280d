"""A declaration's answers with the words beside their codes (issue 17, major 3: "Di chuyển: 79
(–)", "fever, cough").

The answers keep their codes (the API, the exports and the risk engine read them); every reader
that shows them to a person takes the labels from here: symptom, exposure and condition names in
the active language, and for each trip the ward, province or country **names** with its dates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from khaibao.declarations import labels
from khaibao.places.models import Country, Province, Ward


def date_text(value: Any) -> str:
    """dd/mm/yyyy for an ISO date (answers store dates as text), else the value as it is."""
    parsed = parse_date(str(value)) if value else None
    return parsed.strftime("%d/%m/%Y") if parsed else str(value or "")


def coded(table: Mapping[str, Any], codes: Iterable[str]) -> list[dict[str, str]]:
    """[{"code", "label"}] for `codes` in `table` (an unknown code is its own label)."""
    return [{"code": code, "label": labels.label(dict(table), code)} for code in codes]


def symptom_items(codes: Iterable[str]) -> list[dict[str, str]]:
    """A daily update's symptom codes, each with its name."""
    return coded(labels.SYMPTOM_LABELS, codes)


@dataclass(frozen=True)
class PlaceNames:
    """The names of the wards, provinces and countries some trips name, read in three queries
    however many declarations they come from."""

    wards: dict[int, Ward]
    provinces: dict[int, str]
    countries: dict[str, str]


def place_names(answers_list: Iterable[Mapping[str, Any]]) -> PlaceNames:
    entries = [e for answers in answers_list for e in (answers.get("travel") or []) if isinstance(e, Mapping)]
    ward_codes = {e["ward_code"] for e in entries if isinstance(e.get("ward_code"), int)}
    province_codes = {e["province_code"] for e in entries if isinstance(e.get("province_code"), int)}
    countries = {e["country"] for e in entries if isinstance(e.get("country"), str)}
    return PlaceNames(
        wards={w.code: w for w in Ward.objects.filter(code__in=ward_codes).select_related("province")} if ward_codes else {},
        provinces=dict(Province.objects.filter(code__in=province_codes).values_list("code", "name")) if province_codes else {},
        countries={c.code: c.name for c in Country.objects.filter(code__in=countries)} if countries else {},
    )


def travel_items(entries: Sequence[Mapping[str, Any]], names: PlaceNames | None = None) -> list[dict[str, Any]]:
    """Each trip with its codes, the names of its ward, province or country, its dates, and one
    line of text ("Phường Bến Thành, Thành phố Hồ Chí Minh (26/11/2026–29/11/2026)")."""
    names = names or place_names([{"travel": entries}])
    out = []
    for entry in entries:
        ward = names.wards.get(entry["ward_code"]) if isinstance(entry.get("ward_code"), int) else None
        province_name = ward.province.name if ward is not None else names.provinces.get(entry.get("province_code") or 0, "")
        country = entry.get("country") or ""
        country_name = names.countries.get(country, country)
        place = ", ".join(p for p in (ward.name if ward else "", province_name) if p) or country_name or "?"
        start, end = date_text(entry.get("from") or entry.get("start")), date_text(entry.get("to") or entry.get("end"))
        dates = f"{start}–{end}" if start and end and start != end else (start or end)
        out.append({
            "ward_code": entry.get("ward_code"), "ward_name": ward.name if ward else "",
            "province_code": entry.get("province_code"), "province_name": province_name,
            "country": entry.get("country"), "country_name": country_name,
            "from": entry.get("from"), "to": entry.get("to"),
            "text": f"{place} ({dates})" if dates else place,
        })
    return out


def answers_labels(answers: Mapping[str, Any], names: PlaceNames | None = None) -> dict[str, Any]:
    """The coded answers with their labels: symptoms and exposures with dates, conditions,
    trips with place names — what the API adds beside `answers` as `answer_labels`. Give
    `names` (`place_names` of all the answers shown) to read the places once for many."""
    return {
        "symptoms": [
            {"code": s.get("code", ""), "label": labels.label(labels.SYMPTOM_LABELS, s.get("code", "")), "onset": s.get("onset")}
            for s in answers.get("symptoms") or []
        ],
        "exposures": [
            {
                "code": e.get("code", ""), "label": labels.label(labels.EXPOSURE_LABELS, e.get("code", "")),
                "date": e.get("date") or e.get("on"),
            }
            for e in answers.get("exposures") or []
        ],
        "conditions": coded(labels.CONDITION_LABELS, answers.get("conditions") or []),
        "travel": travel_items(answers.get("travel") or [], names),
    }


def answer_lines(answers: Mapping[str, Any], names: PlaceNames | None = None) -> list[tuple[str, str]]:
    """The answers as (question, answer in words) lines, for a page."""
    lines: list[tuple[str, str]] = []
    yes, no = _("Yes"), _("No")
    for key, title in (
        ("contact_with_case", _("Contact with a case")),
        ("came_from_epidemic_area", _("Came from an epidemic area")),
        ("suspect_infection", _("Suspects infection")),
    ):
        if key in answers:
            lines.append((title, yes if answers[key] else no))
    named = answers_labels(answers, names)
    lines.append((_("Symptoms"), ", ".join(
        f"{s['label']} ({date_text(s['onset'])})" if s["onset"] else s["label"] for s in named["symptoms"]
    ) or _("None")))
    lines.append((_("Contacts"), ", ".join(
        f"{e['label']} ({date_text(e['date'])})" if e["date"] else e["label"] for e in named["exposures"]
    ) or _("None")))
    lines.append((_("Travel"), "; ".join(t["text"] for t in named["travel"]) or _("None")))
    if named["conditions"] or "pregnant" in answers:
        lines.append((_("Underlying conditions"), ", ".join(c["label"] for c in named["conditions"]) or _("None")))
        lines.append((_("Pregnant"), yes if answers.get("pregnant") else no))
    return lines
