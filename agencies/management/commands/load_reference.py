from django.core.management.base import BaseCommand

from agencies.reference import load_reference


class Command(BaseCommand):
    help = "Load or refresh the reference data (regions, domains, department kinds, the duty catalog). Idempotent."

    def handle(self, *args, **options):
        counts = load_reference()
        self.stdout.write(self.style.SUCCESS(", ".join(f"{k} {v}" for k, v in counts.items())))
