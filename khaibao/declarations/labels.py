"""Plain-words labels of the questionnaire's codes, and of who declared what, in the active language."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from khaibao.declarations.models import Declaration, DeclaredAs, Kind

SYMPTOM_LABELS: dict[str, Promise] = {
    "fever": _("Fever"),
    "cough": _("Cough"),
    "shortness_of_breath": _("Shortness of breath"),
    "pneumonia": _("Pneumonia"),
    "sore_throat": _("Sore throat"),
    "fatigue": _("Tiredness"),
    "body_aches": _("Body aches or chills"),
    "headache": _("Headache"),
    "runny_nose": _("Runny or blocked nose"),
    "loss_of_taste_smell": _("Loss of taste or smell"),
    "nausea": _("Nausea or vomiting"),
    "diarrhoea": _("Diarrhoea"),
}

EXPOSURE_LABELS: dict[str, Promise] = {
    "contact_confirmed": _("Contact with a confirmed case (F0)"),
    "contact_suspected": _("Contact with a suspected case"),
    "contact_from_epidemic_area": _("Contact with someone who came from an epidemic area"),
    "contact_symptomatic": _("Contact with someone who has fever, cough, shortness of breath or pneumonia"),
    "cared_for_sick": _("Cared for a sick person"),
    "animal_market": _("Visited a farm or a live-animal market"),
}

CONDITION_LABELS: dict[str, Promise] = {
    "chronic_liver": _("Chronic liver disease"),
    "chronic_blood": _("Chronic blood disease"),
    "chronic_lung": _("Chronic lung disease"),
    "chronic_kidney": _("Chronic kidney disease"),
    "heart_disease": _("Heart disease"),
    "hypertension": _("High blood pressure"),
    "immunodeficiency": _("Immunodeficiency (including HIV)"),
    "transplant": _("Organ or bone-marrow transplant"),
    "diabetes": _("Diabetes"),
    "cancer": _("Cancer"),
    "obesity": _("Obesity"),
    "stroke": _("Stroke"),
}

LEVEL_COLOURS = {"low": "green", "medium": "yellow", "high": "orange", "urgent": "red"}
# The words of a level's colour (LEVEL_COLOURS, and grey for no level yet: monitoring.explain),
# written as the pass card writes its own colours (passes/labels.py).
COLOUR_LABELS: dict[str, Promise] = {
    "green": _("Green"),
    "yellow": _("Yellow"),
    "orange": _("Orange"),
    "red": _("Red"),
    "grey": _("Grey"),
}


def colour_label(colour: str | None) -> str:
    """A level's colour in words ("Orange"); "" for no colour, an unknown code as it is."""
    if not colour:
        return ""
    return str(COLOUR_LABELS.get(colour, colour))


def label(labels: dict[str, Promise], code: str) -> str:
    return str(labels.get(code, code))


# --- who declared, and what -------------------------------------------------------------------
# The one owner of a declaration's words (seams review, finding 3): the API's declarations, the
# officials' case view and the "My data" export (declarations.selectors.declaration_dict), and the
# pages' "declared by …" phrase (the `declared_by` filter of web/_declared_by.html).


def kind_label(code: str | None) -> str:
    """The declaration's kind in words (the model's label: "Health declaration", "Risk-factor
    declaration"); "" for no code, an unknown code as it is, never hidden."""
    if not code:
        return ""
    return str(dict(Kind.choices).get(code, code))


def declared_as_label(code: str | None) -> str:
    """Who filled a declaration (or a daily update) in, in words (the model's label:
    "Themselves", "Household owner", "Volunteer"); "" for no code, an unknown code as it is."""
    if not code:
        return ""
    return str(dict(DeclaredAs.choices).get(code, code))


def declared_by_volunteer(declaration: Declaration) -> str | None:
    """The volunteer's name on a declaration a volunteer filled in ("declared by volunteer X for
    Y": the person sees who acted for them, issue 7); None for any other, or a volunteer whose
    account has no name any more. Reads `declared_by` only then (select it with the declaration)."""
    if declaration.declared_as != DeclaredAs.VOLUNTEER:
        return None
    volunteer = declaration.declared_by
    return (volunteer.display_name or None) if volunteer is not None else None


def declared_by_phrase(*, declared_as: str, volunteer: str | None, name: str) -> str:
    """Who filled it in, as a phrase after the form's name ("Health declaration — declared by
    the person themselves"): "declared by volunteer X for Y" names the volunteer (issue 7; "a
    volunteer" when their name is gone), the household owner and the person themselves."""
    if declared_as == DeclaredAs.VOLUNTEER:
        return _("declared by volunteer %(volunteer)s for %(name)s") % {
            "volunteer": volunteer or _("a volunteer"), "name": name,
        }
    if declared_as == DeclaredAs.HOUSEHOLD_OWNER:
        return str(_("declared for them by the household owner"))
    return str(_("declared by the person themselves"))
