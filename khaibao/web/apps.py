from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "khaibao.web"
    label = "web"
