from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "khaibao.monitoring"
    label = "monitoring"
