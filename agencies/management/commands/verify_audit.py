from django.core.management.base import BaseCommand, CommandError

from agencies.audit import verify_chain
from agencies.models import AuditChainHead


class Command(BaseCommand):
    help = ("Walk the audit trail's hash chain; name the first row that was altered or removed. "
            "Exits non-zero when the chain is broken. Record the printed head hash elsewhere (e.g. daily) "
            "to detect a rewrite of the whole tail as well.")

    def handle(self, *args, **options):
        checked, problem = verify_chain()
        if problem is not None:
            raise CommandError(f"audit chain broken at {problem.message} ({checked} rows verified before it)")
        head = AuditChainHead.objects.filter(pk=1).first()
        self.stdout.write(self.style.SUCCESS(
            f"audit chain intact: {checked} rows; head {head.last_hash if head else '—'}"))
