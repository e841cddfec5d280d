from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "khaibao.people"
    label = "people"
