"""The header's language switch: Django's own `set_language`, and for a signed-in citizen the
language their notifications are written in as well (notifications.preferences)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.i18n import set_language as django_set_language

from khaibao.accounts.models import Account
from khaibao.core.http import client_ip
from khaibao.notifications.preferences import language_follow_site


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's view does the switch as before — POST only, behind CSRF, the `next` address kept
    on this site. The cookie it sets is the language it accepted; `language_follow_site` saves it
    as the citizen's notification language when it is one notifications are written in (Django
    also accepts a language it has a catalogue for, such as its own "fr")."""
    response = django_set_language(request)
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    user = request.user
    if request.method != "POST" or cookie is None or not isinstance(user, Account):
        return response
    language = cookie.value
    if language_follow_site(actor=user, language=language, ip=client_ip(request)):
        # Said in the language just chosen: it is the one the next page is shown in.
        with translation.override(language):
            messages.info(
                request,
                _("Your notifications will also be written in this language from now on. "
                  "Those you already received keep theirs."),
            )
    return response
