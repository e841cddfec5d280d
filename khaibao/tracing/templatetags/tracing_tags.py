from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from khaibao.risk import engine
from khaibao.tracing.forms import ContactForm

register = template.Library()


@register.inclusion_tag("backoffice/tracing/_contact_form.html", takes_context=True)
def contact_form_for(context: template.Context, person: Any) -> dict[str, Any]:
    """The "add a contact" form of a case; keeps what was typed after an error."""
    form = context.get("contact_form") or ContactForm(initial={"province": person.home_ward.province_id})
    return {
        "form": form,
        "person": person,
        "action": reverse("backoffice:case_contacts", args=[person.pk]),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def contact_window_days() -> int:
    """The days back a contact counts: the rule set's window (risk rules are versioned data), the
    number `services._clean` checks a contact date against — never a "14" written in a page."""
    return engine.current_rules().window_days
