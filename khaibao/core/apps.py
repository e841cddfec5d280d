from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "khaibao.core"
    label = "core"

    def ready(self) -> None:
        from khaibao.core import dbrouter, workers

        dbrouter.connect_signals()
        workers.connect_signals()
