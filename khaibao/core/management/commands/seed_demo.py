from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from khaibao import demo


class Command(BaseCommand):
    help = "Create the demo world (idempotent). Refuses to run with DEBUG off."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG=1: it creates accounts with a known password.")
        demo.build_world()
        sms = (
            "printed by the server console"
            if settings.SMS_BACKEND == "console"
            else f"appended to {settings.SMS_FILE_PATH}"
        )
        lines = [
            "",
            "Demo accounts — Khai Báo",
            "  Citizens (sign in at http://127.0.0.1:8000/sign-in/ with the phone; the code is " + sms + "):",
            "    0900000001 Nguyễn Thị Lan (Hoàn Kiếm, Hà Nội) — household: self, child, parent",
            "    0900000002 Lê Thị Mai (Ba Đình, Hà Nội)",
            "    0900000003 Phạm Văn Hùng (Sài Gòn, TP.HCM) — household: self, spouse",
            "    0900000004 Võ Thị Hoa (Bến Thành, TP.HCM)",
            "    0900000005 Đỗ Văn Nam (Hoàn Kiếm, Hà Nội)",
            "    0900000009 Trần Thu Hà — volunteer, assists Ông Nguyễn Văn Tư",
            f"  Staff (http://127.0.0.1:8000/staff/sign-in/, password {demo.DEMO_PASSWORD}):",
        ]
        lines += [f"    {u:<18} {d} ({r})" for u, d, r, *_ in demo.STAFF]
        lines += [
            "  Officials and the DPO enrol a TOTP app on first sign-in; without one, run",
            "    make totp USER=demo-ward   (prints the current code; DEBUG only)",
            "",
        ]
        self.stdout.write("\n".join(lines))
