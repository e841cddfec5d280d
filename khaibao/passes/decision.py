"""What a checkpoint does with a checked pass (DOMAIN.md §4, chốt kiểm soát).

A signature check answers "is this pass genuine?"; staff at a gate need "may this person come
in, and what do I tell them?". The decision is a pure rule over the checked pass — its colour,
or why it is not valid — and never looks at health details.

| pass | decision | what staff do |
|---|---|---|
| green | `admit` | let through |
| yellow | `admit_with_advice` | let through, remind to keep monitoring |
| red | `refer` | do not admit; direct to the ward health station or the hotline |
| grey | `ask_to_declare` | ask the person to declare (or send today's update) first, and where |
| not valid (forged, expired, unknown code) | `refuse` | refuse; ask for a fresh pass |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from khaibao.core.hotlines import hotline

if TYPE_CHECKING:
    from khaibao.passes.verify import PassCheck

ADMIT = "admit"
ADMIT_WITH_ADVICE = "admit_with_advice"
REFER = "refer"
ASK_TO_DECLARE = "ask_to_declare"
REFUSE = "refuse"
DECISIONS = (ADMIT, ADMIT_WITH_ADVICE, REFER, ASK_TO_DECLARE, REFUSE)
_BY_COLOUR = {"green": ADMIT, "yellow": ADMIT_WITH_ADVICE, "red": REFER, "grey": ASK_TO_DECLARE}
# Whether the person may pass the gate: what a checkpoint app colours its screen by.
ADMITS = frozenset({ADMIT, ADMIT_WITH_ADVICE})
# The registration command a person without a smartphone sends (docs/sms.md).
SMS_DECLARE = "KB <CCCD> <NĂM SINH> <MÃ PHƯỜNG> <HỌ TÊN>"
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Decision:
    code: str
    # The few words shown in large type ("Cho qua"), and the sentence that says what to do.
    headline: str
    instruction: str

    @property
    def admits(self) -> bool:
        return self.code in ADMITS


def decision_code(check: PassCheck) -> str:
    """`admit` | `admit_with_advice` | `refer` | `ask_to_declare` | `refuse` for a checked pass."""
    if not check.valid or check.colour is None:
        return REFUSE
    return _BY_COLOUR.get(check.colour, REFUSE)


def site_address() -> str:
    """Where to declare, as a person would type it: the public site's host name."""
    return urlsplit(settings.PUBLIC_BASE_URL).netloc or settings.PUBLIC_BASE_URL


def _texts(code: str) -> tuple[str, str]:
    if code == ADMIT:
        return _("Let through"), _("Let the person through.")
    if code == ADMIT_WITH_ADVICE:
        return (
            _("Let through — remind to keep monitoring"),
            _("Let the person through. Remind them to keep watching their health and to send the daily update."),
        )
    if code == REFER:
        return (
            _("Do not admit"),
            _(
                "Do not let the person in. Direct them to their ward health station, or to call the hotline"
                " %(hotline)s (24/7, free)."
            ) % {"hotline": hotline()},
        )
    if code == ASK_TO_DECLARE:
        return (
            _("Declare first"),
            _(
                "The person has no current health declaration. Ask them to declare (or to send today's update)"
                " first — at %(site)s, or by SMS: %(sms)s — then show a fresh pass."
            ) % {"site": site_address(), "sms": SMS_DECLARE},
        )
    return _("Refuse: the pass is not valid"), _("Do not accept this pass. Ask the person to open a fresh pass.")


def pass_decision(check: PassCheck, *, language: str | None = None) -> Decision:
    """The decision for `check`, worded in `language` (the active language when None)."""
    code = decision_code(check)
    if language is None:
        headline, instruction = _texts(code)
    else:
        with translation.override(language):
            headline, instruction = _texts(code)
    return Decision(code=code, headline=headline, instruction=instruction)


def pass_instructions(check: PassCheck) -> dict[str, str]:
    """The instruction in every language the service speaks, for apps that switch offline."""
    return {language: pass_decision(check, language=language).instruction for language in LANGUAGES}
