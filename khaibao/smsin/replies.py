"""What the service answers by SMS (docs/sms.md): the registration's syntax, refusals, help, the
level with as much advice as fits, the last activity, the organisations waiting for an answer —
written here once, for smsin.services to send."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from khaibao.accounts.models import Account
from khaibao.accounts.sms import sms_text
from khaibao.core.errors import ServiceError
from khaibao.core.hotlines import hotline_params
from khaibao.monitoring.explain import level_display
from khaibao.monitoring.models import PersonStatus
from khaibao.monitoring.selectors import person_status, status_updated_on
from khaibao.orgs.selectors import pending_memberships
from khaibao.people.models import Person
from khaibao.risk import engine

# How a registration by SMS is written in the reply and examples (docs/sms.md).
REGISTER_SYNTAX = "KB <CCCD> <NAM SINH> <MA PHUONG> <HO TEN>"
REGISTER_EXAMPLE = "KB 001090012345 1990 70 NGUYEN VAN AN"


def refusal_text(exc: ServiceError) -> str:
    if exc.code == "rate_limited":
        # Too many ID numbers tried from this account (a number someone else holds is accepted
        # and reviewed by officials, never refused: people/persons.py).
        return _("Khai Bao: %(message)s") % {"message": exc.message}
    if "ward_code" in exc.fields:
        return _(
            "Khai Bao: this ward code does not exist. Ask your ward health station for the code and text "
            "%(syntax)s again."
        ) % {"syntax": REGISTER_SYNTAX}
    problems = " ".join(dict.fromkeys(exc.fields.values())) or str(exc.message)
    return _("Khai Bao: %(problems)s Text %(syntax)s again.") % {"problems": problems, "syntax": REGISTER_SYNTAX}


def not_registered_text() -> str:
    return _(
        "Khai Bao: this phone is not registered yet. Text %(syntax)s, e.g. %(example)s. Your ward health "
        "station gives the ward code."
    ) % {"syntax": REGISTER_SYNTAX, "example": REGISTER_EXAMPLE}


def help_text() -> str:
    # Also how to get declared: SMS cannot carry the declaration form (docs/sms.md, "What SMS does
    # not do"), and an organisation's campaign reminder sends members without a smartphone here
    # (orgs.reminders). Within SMS_MAX_CHARS in both languages, unaccented: one SMS, nothing cut.
    return _(
        "Khai Bao help. Register: %(syntax)s. Well today: OK. Unwell: your symptoms, e.g. SOT HO KHOTHO. "
        "Your level: TT. At a venue: CHECKIN <code>. To be declared: ask a relative with a smartphone, a "
        "volunteer of your organisation or the ward health station. Hotline %(hotline)s."
    ) % {"syntax": REGISTER_SYNTAX, **hotline_params()}


def status_text(person: Person) -> str:
    status = person_status(person)
    if status is None or not status.assessed_at:
        return _(
            "Khai Bao: no assessment yet. Text OK if you are well today, or your symptoms, e.g. SOT HO."
        )
    return with_level_and_advice(last_activity_text(status), status.level, status.recommendations)


def last_activity_text(status: PersonStatus) -> str:
    """What the person last sent — the day their latest update is *for* (yesterday's update sent
    this morning says yesterday), or their declaration — and whether today's update is done, by
    the one rule every page, reminder and count uses (`status_updated_on`)."""
    done = status_updated_on(status, timezone.localdate())
    declared = status.last_declaration_at
    if status.last_update_day is not None and (
        declared is None or status.last_update_at is None or status.last_update_at >= declared
    ):
        day = status.last_update_day.strftime("%d/%m/%Y")
        if done:
            return _("Khai Bao: last update for %(day)s; today's: done.") % {"day": day}
        return _("Khai Bao: last update for %(day)s; today's: not sent yet.") % {"day": day}
    if declared is not None:
        day = timezone.localtime(declared).strftime("%d/%m/%Y")
        if done:
            return _("Khai Bao: last was a health declaration on %(day)s; today's update: done.") % {"day": day}
        return _("Khai Bao: last was a health declaration on %(day)s; today's update: not sent yet.") % {"day": day}
    return _("Khai Bao: no daily update yet.")


def with_level_and_advice(head: str, level: str, recommendations: list[str]) -> str:
    """`head`, the level in words, then as much of the advice as fits in one SMS."""
    text = f"{head} " + _("Risk level: %(level)s.") % {"level": level_display(level)["word"]}
    for code in recommendations:
        advice = engine.recommendation_text(code)
        if len(sms_text(f"{text} {advice}")) > settings.SMS_MAX_CHARS:
            break
        text = f"{text} {advice}"
    return text


def memberships_hint(account: Account | None) -> str:
    units = pending_unit_names(account)
    if not units:
        return ""
    return " " + _("%(units)s lists you as a member: text XN to confirm, TUCHOI if it is not you.") % {
        "units": ", ".join(units),
    }


def pending_unit_names(account: Account | None) -> list[str]:
    if account is None:
        return []
    return list(dict.fromkeys(m.unit.name for m in pending_memberships(account)))
