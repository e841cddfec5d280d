from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "khaibao.news"
    label = "news"
