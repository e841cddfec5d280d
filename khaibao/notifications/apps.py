from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "khaibao.notifications"
    label = "notifications"
