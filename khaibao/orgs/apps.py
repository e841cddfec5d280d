from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "khaibao.orgs"
    label = "orgs"
