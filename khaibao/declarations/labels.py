"""Plain-words labels of the questionnaire's codes, in the active language."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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


def label(labels: dict[str, Promise], code: str) -> str:
    return str(labels.get(code, code))
