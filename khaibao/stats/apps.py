from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "khaibao.stats"
    label = "stats"
