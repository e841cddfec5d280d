from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "khaibao.cases"
    label = "cases"
