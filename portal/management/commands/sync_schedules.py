"""Write the beat schedule into the database (django-celery-beat), idempotently.

`settings.CELERY_BEAT_SCHEDULE` stays the one declaration of what runs when; this command makes each entry a
PeriodicTask row (same name, updated in place), which is what `celery -A portal beat` with the DatabaseScheduler
reads. `make run` and `seed_demo` run it; a deployment runs it after `migrate`. Rows an administrator added in the
admin are left alone; an administrator's pause (enabled=False) of a declared task is kept.
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.schedules import sync_schedules


class Command(BaseCommand):
    help = "Create or update the PeriodicTask rows of CELERY_BEAT_SCHEDULE (django-celery-beat)."

    def handle(self, *args, **options):
        names = sync_schedules()
        self.stdout.write(self.style.SUCCESS(
            f"{len(names)} periodic tasks in the database: " + ", ".join(sorted(names))))
        if len(names) != len(settings.CELERY_BEAT_SCHEDULE):
            self.stderr.write("some entries of CELERY_BEAT_SCHEDULE were not written")
