from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "DEBUG only: print the current TOTP code of a staff account's device (demos without a phone)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("totp_code only runs with DEBUG=1.")
        device = TOTPDevice.objects.filter(user__username=options["username"]).order_by("-confirmed").first()
        if device is None:
            raise CommandError("No authenticator yet: open the staff sign-in page first to start enrolment.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
