"""Write a realistic import file of N rows (template columns, default COD areas) for tries and tests.

python manage.py make_sample_import incidents 1000 var/exemple-1000.xlsx
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sentinelle.ingest.samples import write_sample


class Command(BaseCommand):
    help = "Write a sample import file (.xlsx or .csv) of N realistic rows."

    def add_arguments(self, parser):
        parser.add_argument("kind")
        parser.add_argument("rows", type=int)
        parser.add_argument("file")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--without-ids", action="store_true", help="leave the identifier column empty")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if path.suffix.lower() not in (".xlsx", ".csv"):
            raise CommandError("The file name must end in .xlsx or .csv.")
        try:
            write_sample(
                options["kind"],
                options["rows"],
                path,
                seed=options["seed"],
                with_ids=not options["without_ids"],
            )
        except (LookupError, ValueError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{path}: {options['rows']} rows")
