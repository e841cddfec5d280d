from django.apps import AppConfig


class SmsinConfig(AppConfig):
    name = "khaibao.smsin"
    label = "smsin"
