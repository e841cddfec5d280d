from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "khaibao.reports"
    label = "reports"
