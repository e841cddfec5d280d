from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "khaibao.core"
    label = "core"

    def ready(self) -> None:
        from khaibao.core import dbrouter, tasklog, workers

        dbrouter.connect_signals()
        workers.connect_signals()
        tasklog.connect()
