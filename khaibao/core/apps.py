from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "khaibao.core"
    label = "core"

    def ready(self) -> None:
        from khaibao.core import tasklog
        from khaibao.core.dbrouter import connect_signals

        connect_signals()
        tasklog.connect()
