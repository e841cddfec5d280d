"""Plain-words texts for rule ids and recommendation codes (msgids in English, marked for gettext).

The texts live in code rather than in the rule-set JSON so that `makemessages` finds them; a test
checks that every rule id and recommendation code of every stored rule set has a text here.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

# %(days)d is the rule set's window.
REASONS: dict[str, str] = {
    "urgent.breathing_with_fever": gettext_noop(
        "Shortness of breath or pneumonia, together with a fever, in the last %(days)d days."
    ),
    "urgent.breathing_after_contact": gettext_noop(
        "Shortness of breath or pneumonia, and contact with a confirmed or suspected COVID-19 case, "
        "in the last %(days)d days."
    ),
    "urgent.breathing_after_zone_travel": gettext_noop(
        "Shortness of breath or pneumonia, and time spent in an epidemic area, in the last %(days)d days."
    ),
    "high.contact_confirmed": gettext_noop(
        "Close contact with a confirmed COVID-19 case (F0) in the last %(days)d days."
    ),
    "high.symptoms_with_suspected_contact": gettext_noop(
        "Signs of illness, and contact with a suspected COVID-19 case, in the last %(days)d days."
    ),
    "high.symptoms_with_epidemic_area_contact": gettext_noop(
        "Signs of illness, and contact with someone who came from an epidemic area, "
        "in the last %(days)d days."
    ),
    "high.symptoms_after_zone_travel": gettext_noop(
        "Signs of illness, and time spent in an epidemic area, in the last %(days)d days."
    ),
    "high.symptoms_after_venue_exposure": gettext_noop(
        "Signs of illness, and present at a venue at the same time as a case or an epidemic place, "
        "in the last %(days)d days."
    ),
    "medium.venue_exposure": gettext_noop(
        "Present at a venue at the same time as a case or an epidemic place in the last %(days)d days, "
        "with no signs of illness so far."
    ),
    "medium.zone_travel": gettext_noop(
        "Time spent in an epidemic area in the last %(days)d days, with no signs of illness so far."
    ),
    "medium.contact_without_symptoms": gettext_noop(
        "Contact with a suspected case, with someone from an epidemic area or with someone who was ill, "
        "in the last %(days)d days, with no signs of illness so far."
    ),
    "medium.symptoms_only": gettext_noop(
        "Signs of illness in the last %(days)d days, with no known contact and no travel in an epidemic area."
    ),
    "medium.symptoms_with_care_or_market": gettext_noop(
        "Signs of illness after caring for a sick person or visiting a farm or live-animal market, "
        "in the last %(days)d days."
    ),
    "medium.symptoms_with_symptomatic_contact": gettext_noop(
        "Signs of illness, and contact with someone who had a fever, a cough or trouble breathing, "
        "in the last %(days)d days."
    ),
}

# Formatted with core.hotlines.hotline_params() (engine.recommendation_text): the hotlines are a
# setting, and a literal "%" must be written "%%".
RECOMMENDATIONS: dict[str, str] = {
    "call_hotline": gettext_noop(
        "Call the health hotline %(hotlines)s (free, day and night) and say how you feel."
    ),
    "seek_care": gettext_noop(
        "Go to the nearest health facility now, wearing a mask. Call the hotline on the way if you can."
    ),
    "isolate_home": gettext_noop(
        "Stay at home in a room of your own, keep 2 metres from other people and do not go out."
    ),
    "contact_ward_station": gettext_noop(
        "Contact your ward or commune health station and tell them about your situation."
    ),
    "wear_mask": gettext_noop("Wear a mask whenever other people are near you."),
    "self_monitor": gettext_noop(
        "Check your temperature and how you feel every day, and send a daily update until the end "
        "of your monitoring period."
    ),
    "five_k": gettext_noop(
        "Follow the 5K message: wear a mask, disinfect, keep your distance, avoid gatherings and "
        "declare your health."
    ),
}
