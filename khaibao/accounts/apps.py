from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "khaibao.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from khaibao.accounts.middleware import stamp_sign_in

        user_logged_in.connect(stamp_sign_in, dispatch_uid="khaibao.accounts.stamp_sign_in")
