from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from khaibao.risk.docs import rules_doc, rules_doc_path


class Command(BaseCommand):
    help = "Write docs/risk-rules.md from the active risk rule set (--check: fail if it is out of date)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", default=None, help="Write here instead of docs/risk-rules.md.")
        parser.add_argument(
            "--check", action="store_true", help="Write nothing; exit non-zero if the file is out of date."
        )

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["output"] or rules_doc_path()))
        text = rules_doc()
        if options["check"]:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                raise CommandError(f"{path} is out of date: run `manage.py risk_rules_doc`.")
            self.stdout.write(self.style.SUCCESS(f"{path} is up to date."))
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path}."))
