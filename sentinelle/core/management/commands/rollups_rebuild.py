"""Recompute every roll-up table from the records (core/rollups.py).

    python manage.py rollups_rebuild                 # every roll-up
    python manage.py rollups_rebuild --keyed-by incident

The services keep the roll-ups current; run this after rows were written around them (a bulk load, the
bench generator, a database repair).
"""

import time

from django.core.management.base import BaseCommand

from sentinelle.core.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Recompute every roll-up table of the declared datasets from the records."

    def add_arguments(self, parser):
        parser.add_argument("--keyed-by", default=None, help="Only the roll-ups kept by these records.")

    def handle(self, *args, keyed_by=None, **options):
        started = [time.monotonic()]

        def done(rollup):
            seconds = time.monotonic() - started[0]
            rows = rollup.model.objects.count()
            self.stdout.write(f"{rollup.model._meta.label}: {rows} rows ({seconds:.1f} s)")
            started[0] = time.monotonic()

        rollups_rebuild(keyed_by, done=done)
