from django.apps import AppConfig


class ZonesConfig(AppConfig):
    name = "khaibao.zones"
    label = "zones"
