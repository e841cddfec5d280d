from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "khaibao.api"
    label = "api"
