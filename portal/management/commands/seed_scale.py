import time

from django.core.management.base import BaseCommand, CommandError

from portal.scale import ScaleSizes, seed_province


class Command(BaseCommand):
    help = ("Load a synthetic province for benchmarks (PostgreSQL only, COPY): by default 50,000 institutions "
            "over 100 districts, 2,000 departments, 20,000 staff, 1,000,000 findings, 200,000 complaints, "
            "100,000 credit events, 50,000 hand-off grants. Wants a freshly migrated database.")

    def add_arguments(self, parser):
        defaults = ScaleSizes()
        for name in ("institutions", "districts", "departments", "staff", "findings", "complaints",
                     "credit_events", "grants", "seed"):
            parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name),
                                dest=name, help=f"default {getattr(defaults, name):,}")
        parser.add_argument("--tiny", action="store_true", help="a few rows of everything (for tests)")

    def handle(self, *args, **options):
        sizes = ScaleSizes.tiny() if options["tiny"] else ScaleSizes(
            **{k: options[k] for k in ScaleSizes.__dataclass_fields__})
        if sizes.districts < 1 or sizes.institutions < sizes.districts:
            raise CommandError("--institutions must be at least --districts, and --districts at least 1")
        started = time.monotonic()
        try:
            counts = seed_province(sizes, log=self.stdout.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Province seeded in {time.monotonic() - started:.0f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())))
