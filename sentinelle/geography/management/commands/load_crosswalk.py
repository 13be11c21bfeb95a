"""Load a crosswalk between two COD versions from a CSV (from_pcode,to_pcode,relation,share).

With --by-pcode and no file, propose "same" links for identical P-codes and names and save them.
"""

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sentinelle.geography.services import crosswalk_build_by_pcode, crosswalk_load

COLUMNS = {"from_pcode", "to_pcode"}


def read_rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise CommandError(f"File not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        # Spreadsheets saved in French locales write semicolons.
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
        reader = csv.DictReader(handle, dialect=dialect)
        missing = COLUMNS - {name.strip().lower() for name in reader.fieldnames or []}
        if missing:
            raise CommandError(f"{path.name}: missing column(s) {', '.join(sorted(missing))}.")
        return [{(key or "").strip().lower(): value for key, value in row.items()} for row in reader]


class Command(BaseCommand):
    help = "Load a crosswalk (from_pcode,to_pcode,relation,share) between two COD versions."

    def add_arguments(self, parser):
        parser.add_argument("from_code")
        parser.add_argument("to_code")
        parser.add_argument("file", nargs="?", type=Path)
        parser.add_argument("--by-pcode", action="store_true", help="link identical P-codes and names")

    def handle(self, *args, **options):
        try:
            if options["file"] is not None:
                counts = crosswalk_load(
                    from_version=options["from_code"],
                    to_version=options["to_code"],
                    rows=read_rows(options["file"]),
                )
                self.stdout.write(", ".join(f"{name}: {count}" for name, count in counts.items()))
            if options["by_pcode"]:
                proposals = crosswalk_build_by_pcode(
                    from_version=options["from_code"], to_version=options["to_code"]
                )
                self.stdout.write(f"same P-code and name: {len(proposals)} link(s) added")
            if options["file"] is None and not options["by_pcode"]:
                raise CommandError("Give a CSV file, or --by-pcode.")
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
