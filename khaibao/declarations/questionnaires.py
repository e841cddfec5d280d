"""Questionnaire versions (tờ khai y tế) as data.

The symptom, exposure and condition lists changed several times in 2020–2022 (DOMAIN.md §2), so
each version lives in `questionnaire_data/<version>.json` and every declaration records the
version it was answered under, together with the version of the consent text it agreed to.
A new version is a new file plus `CURRENT_VERSION`; old declarations keep their meaning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CURRENT_VERSION = "2026.1"
_DATA_DIR = Path(__file__).resolve().parent / "questionnaire_data"

# The consent sentence each consent version showed (DOMAIN.md §2). Never edit a shipped entry:
# add a new version so that stored declarations still name the words the person agreed to.
CONSENT_TEXTS: dict[str, Promise] = {
    "2026.1": _("Your data is fully confidential and used only for epidemic prevention."),
}
COMMITMENT_TEXT = _("I commit that the information above is true.")
LEGAL_WARNING = _("Making a false declaration breaks Vietnamese law and may be prosecuted.")


@dataclass(frozen=True)
class Questionnaire:
    version: str
    consent_version: str
    lookback_days: int
    max_travel_entries: int
    max_exposure_entries: int
    symptoms: tuple[str, ...]
    exposures: tuple[str, ...]
    conditions: tuple[str, ...]
    risk_contacts: tuple[str, ...]

    @property
    def consent_text(self) -> str:
        return str(CONSENT_TEXTS[self.consent_version])


@cache
def questionnaire_by_version(version: str) -> Questionnaire:
    """The questionnaire `version`; KeyError when no such version was ever shipped."""
    path = _DATA_DIR / f"{version}.json"
    if not path.is_file():
        raise KeyError(version)
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Questionnaire(
        version=raw["version"],
        consent_version=raw["consent_version"],
        lookback_days=int(raw["lookback_days"]),
        max_travel_entries=int(raw["max_travel_entries"]),
        max_exposure_entries=int(raw["max_exposure_entries"]),
        symptoms=tuple(raw["symptoms"]),
        exposures=tuple(raw["exposures"]),
        conditions=tuple(raw["conditions"]),
        risk_contacts=tuple(raw["risk_contacts"]),
    )


def current_questionnaire() -> Questionnaire:
    """The questionnaire new declarations are answered under."""
    return questionnaire_by_version(CURRENT_VERSION)
