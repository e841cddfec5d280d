from django.core.management.base import BaseCommand

from khaibao.places.loader import load_places
from khaibao.places.models import Country, Province, Ward


class Command(BaseCommand):
    help = "Upsert provinces, wards (vietnam-provinces) and countries (pycountry). Idempotent."

    def handle(self, *args: object, **options: object) -> None:
        counts = load_places(Province, Ward, Country)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
