"""`manage.py verify_draw <id>`: re-run a stored draw from its committed input and revealed seed.

Prints OK with the hashes when everything published agrees, or what differs; exits 1 on a mismatch and 2 when
the draw has not been executed yet (its seed is still secret, so there is nothing to verify).
"""

from django.core.management.base import BaseCommand, CommandError

from inspections.models import Draw
from inspections.selectors import verify_stored_draw


class Command(BaseCommand):
    help = "Re-runs a stored draw from its committed input and revealed seed and compares the published result."

    def add_arguments(self, parser):
        parser.add_argument("draw_id", type=int)

    def handle(self, *args, draw_id, **options):
        try:
            draw = Draw.objects.select_related("plan").get(pk=draw_id)
        except Draw.DoesNotExist:
            raise CommandError(f"draw {draw_id} does not exist") from None
        report = verify_stored_draw(draw)
        self.stdout.write(f"draw {draw.pk}: {draw.plan} round {draw.number} ({draw.algorithm})")
        self.stdout.write(f"  published commitment_hash {draw.commitment_hash}")
        self.stdout.write(f"  published input_hash      {draw.input_hash}")
        self.stdout.write(f"  published result_hash     {draw.result_hash or '-'}")
        if report.ok is None:
            raise CommandError(f"draw {draw.pk} is committed but not executed: the seed is not revealed yet",
                               returncode=2)
        self.stdout.write(f"  recomputed input_hash     {report.input_hash}")
        self.stdout.write(f"  recomputed commitment     {report.commitment_hash}")
        self.stdout.write(f"  recomputed result_hash    {report.result_hash}")
        if not report.ok:
            for difference in report.differences:
                self.stderr.write(f"  DIFFERS: {difference}")
            raise CommandError(f"draw {draw.pk}: MISMATCH", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"OK: draw {draw.pk} reproduces result {report.result_hash}"))
