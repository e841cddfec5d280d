from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "khaibao.places"
    label = "places"
