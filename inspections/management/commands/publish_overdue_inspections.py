from django.core.management.base import BaseCommand

from inspections.services.inspections import publish_overdue_inspections


class Command(BaseCommand):
    help = "Publish every completed inspection whose publication deadline (publish_due) has passed."

    def handle(self, *args, **options):
        published = publish_overdue_inspections()
        self.stdout.write(f"published {len(published)} inspection(s): {published}")
