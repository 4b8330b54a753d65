from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from portal.demo import build_demo_city


class Command(BaseCommand):
    help = "Load the demo city (Tianjin): departments, demo accounts, institutions, findings. Idempotent."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            # The demo accounts (`admin` among them) share one published password: never in production.
            # Production creates its first administrator with `createsuperuser` under a name of its own.
            raise CommandError("seed_demo refuses to run in production (DJANGO_ENV=production): its accounts "
                               "share a published password. Create administrators with createsuperuser.")
        counts = build_demo_city()
        call_command("sync_schedules", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo city ready: " + ", ".join(f"{k} {v}" for k, v in counts.items())))
