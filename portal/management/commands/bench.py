import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portal import bench


class Command(BaseCommand):
    help = ("Benchmark the portal over the province seed_scale built (PostgreSQL): list and detail pages as a "
            "district bureau vs a superuser, queries per page, dashboard/work queue when present, the draw, a "
            "duty edit, an institution move, the nightly credit run, complaint submissions through gunicorn + wrk. "
            "Prints one Markdown table; --output also writes it to a file.")

    def add_arguments(self, parser):
        parser.add_argument("--repeats", type=int, default=15, help="requests per measured page and user")
        parser.add_argument("--duration", type=int, default=60, help="seconds of complaint submissions")
        parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
        parser.add_argument("--connections", type=int, default=4, help="wrk connections (= threads)")
        parser.add_argument("--skip", default="", help="comma-separated steps to leave out: " + ", ".join(
            ("lists", "detail", "pages", "draw", "duty", "move", "credit", "submissions")))
        parser.add_argument("--output", help="also write the table (with the machine line) to this file")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench needs PostgreSQL with the province of seed_scale (DATABASE_URL=postgres://…).")
        started = time.monotonic()
        try:
            rows = bench.run(repeats=options["repeats"], duration=options["duration"], workers=options["workers"],
                             connections=options["connections"],
                             skip=tuple(s.strip() for s in options["skip"].split(",") if s.strip()),
                             log=self.stderr.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        text = "\n".join([f"Machine: {bench.machine()}", f"Data: {bench.sizes()}",
                          f"Repeats: {options['repeats']} per page and user; total {time.monotonic() - started:.0f} s",
                          "", bench.render_table(rows)])
        self.stdout.write(text)
        if options["output"]:
            with open(options["output"], "w") as f:
                f.write(text + "\n")
