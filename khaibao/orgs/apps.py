from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "khaibao.orgs"
    label = "orgs"

    def ready(self) -> None:
        # Registers the chasing list's export source (exports.sources.register), as Django
        # registers signal handlers: the exports app sits below orgs and cannot import it.
        from khaibao.orgs import chase  # noqa: F401
