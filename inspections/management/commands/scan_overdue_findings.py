import datetime as dt

from django.core.management.base import BaseCommand

from inspections.services.findings import scan_overdue_findings


class Command(BaseCommand):
    help = "Remind, then escalate, rectifications past their deadline (idempotent; Celery beat runs it daily)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="Scan as of this date (YYYY-MM-DD); default today.")

    def handle(self, *args, **options):
        counts = scan_overdue_findings(options["today"])
        self.stdout.write(self.style.SUCCESS(f"reminded {counts['reminded']}, escalated {counts['escalated']}"))
