"""`/i18n/`: the language switch, ours in place of `django.conf.urls.i18n` (khaibao/web/language.py).
Kept under its own include so the URL and its name (`set_language`) stay Django's."""

from django.urls import path

from khaibao.web.language import set_language

urlpatterns = [
    path("setlang/", set_language, name="set_language"),
]
