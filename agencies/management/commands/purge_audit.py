from django.conf import settings
from django.core.management.base import BaseCommand

from agencies.audit import purge_expired


class Command(BaseCommand):
    help = ("Delete audit rows older than AUDIT_RETENTION_DAYS (at least 180 days; the database refuses younger "
            "ones). The only delete path of the audit trail; it leaves a purge row where the chain resumes.")

    def handle(self, *args, **options):
        removed = purge_expired()
        self.stdout.write(self.style.SUCCESS(
            f"removed {removed} audit rows older than {settings.AUDIT_RETENTION_DAYS} days"))
