from django.core.management.base import BaseCommand

from portal.demo import build_demo_city


class Command(BaseCommand):
    help = "Load the demo city (Tianjin): departments, demo accounts, institutions, findings. Idempotent."

    def handle(self, *args, **options):
        counts = build_demo_city()
        self.stdout.write(self.style.SUCCESS("Demo city ready: " + ", ".join(f"{k} {v}" for k, v in counts.items())))
