from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "khaibao.risk"
    label = "risk"
