"""Consent notices as versioned data: what a person agreed to, word for word.

Every declaration stores the `consent_version` it was given under (declarations.models); this
module keeps, for each version, the purpose, the legal basis and the retention sentence that
were shown next to it. Never edit a shipped version: add a new one, so that stored
declarations still name the words the person accepted. The consent sentence itself is the
questionnaire's (declarations.questionnaires.CONSENT_TEXTS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from khaibao.declarations.questionnaires import CONSENT_TEXTS, current_questionnaire


@dataclass(frozen=True)
class ConsentNotice:
    version: str
    effective_from: date
    purpose: Promise
    legal_basis: Promise
    # "%(days)s" is the retention period in days (settings.RETENTION_HEALTH_DAYS).
    retention: Promise
    rights: Promise

    @property
    def consent_text(self) -> str:
        return str(CONSENT_TEXTS[self.version])

    def retention_text(self) -> str:
        return str(self.retention) % {"days": settings.RETENTION_HEALTH_DAYS}


NOTICES: dict[str, ConsentNotice] = {
    "2026.1": ConsentNotice(
        version="2026.1",
        effective_from=date(2026, 1, 1),
        purpose=_(
            "Your data is used only for epidemic prevention: assessing your risk, warning you about "
            "epidemic areas and letting health officials follow you up. It is never used for anything else."
        ),
        legal_basis=_(
            "You give this data with your consent, under the Personal Data Protection Law (2025) and "
            "its decree. Health data is sensitive personal data."
        ),
        retention=_(
            "Declarations and daily updates are erased %(days)s days after your last activity; "
            "anonymous statistics are kept."
        ),
        rights=_(
            "You can see, download and erase your household's data, and withdraw your consent at "
            "any time, on the \"My data\" page."
        ),
    ),
}


def notice_by_version(version: str) -> ConsentNotice | None:
    """The notice shown with consent `version`, or None for a version never shipped."""
    return NOTICES.get(version)


def current_notice() -> ConsentNotice:
    """The notice shown where data is collected now (the current questionnaire's consent version)."""
    return NOTICES[current_questionnaire().consent_version]
