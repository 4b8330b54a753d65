"""The beat schedule in the database: CELERY_BEAT_SCHEDULE → django-celery-beat PeriodicTask rows."""

from django.conf import settings
from django.db import transaction

# Entries this project once declared and no longer does (their task is gone): a database written by an older
# release still holds their rows, and beat would keep sending a task no worker knows.
RETIRED = ("complaints-sweep-notifications",)  # the shared outbox's sweep delivers complaint notifications


def sync_schedules() -> list[str]:
    """Create or update one PeriodicTask per entry (by name), through django-celery-beat's own conversion — the
    one DatabaseScheduler applies when beat starts — so the rows are the same whichever writes them first."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import ModelEntry

    from .celery import app

    names = []
    with transaction.atomic():
        PeriodicTask.objects.filter(name__in=RETIRED).delete()
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            paused = PeriodicTask.objects.filter(name=name, enabled=False).exists()
            ModelEntry.from_entry(name, app=app, **entry)
            if paused:  # an administrator paused it in the admin: a redeploy does not undo that
                PeriodicTask.objects.filter(name=name).update(enabled=False)
            names.append(name)
    return names
