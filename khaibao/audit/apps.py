from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "khaibao.audit"
    label = "audit"
