from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "khaibao.venues"
    label = "venues"
