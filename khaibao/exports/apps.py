from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "khaibao.exports"
    label = "exports"
