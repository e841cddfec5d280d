from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "khaibao.tracing"
    label = "tracing"
