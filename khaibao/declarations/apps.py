from django.apps import AppConfig


class DeclarationsConfig(AppConfig):
    name = "khaibao.declarations"
    label = "declarations"
