"""Nightly credit run (also the Celery task `credit.tasks.nightly_credit_run`, for the beat schedule):
expire list entries past their term, propose late filers for the watch list, then re-evaluate every institution
in bulk."""

from django.core.management.base import BaseCommand

from credit.tasks import nightly_credit_run


class Command(BaseCommand):
    help = "Expire credit list entries past their term and re-evaluate every institution's grade and risk level."

    def handle(self, *args, **options):
        result = nightly_credit_run()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
