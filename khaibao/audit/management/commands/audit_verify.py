from django.core.management.base import BaseCommand, CommandError

from khaibao.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit hash chain; exits non-zero at the first tampered or missing row."

    def handle(self, *args: object, **options: object) -> None:
        report = audit_verify()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at event {report.broken_at}: {report.problem} "
                f"({report.checked} events verified before it)"
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events."))
