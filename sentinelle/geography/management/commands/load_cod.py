"""Load another COD-AB release as a new version: one GeoJSON or zipped shapefile per level.

    manage.py load_cod --code cod-ab-mli-2021 --title "COD-AB Mali 2021" --valid-on 2021-12-20 \
        --default 1=mli_admbnda_adm1_1m_gov_20211220.zip 2=adm2.geojson 3=adm3.geojson
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sentinelle.geography.services import cod_version_load


def parse_level_files(values: list[str]) -> dict[int, str]:
    files: dict[int, str] = {}
    for value in values:
        level, sep, path = value.partition("=")
        if not sep or not level.strip().isdigit() or not path.strip():
            raise CommandError(f"{value!r}: give each file as LEVEL=PATH, e.g. 2=adm2.geojson.")
        if int(level) in files:
            raise CommandError(f"Level {level} is given twice.")
        files[int(level)] = path.strip()
    return files


class Command(BaseCommand):
    help = "Load a COD-AB release (HDX GeoJSON or zipped shapefiles, one per level) as a new version."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="LEVEL=PATH", help="0 country … 4 quartier")
        parser.add_argument("--code", required=True, help="unique slug, e.g. cod-ab-mli-2021")
        parser.add_argument("--title", required=True)
        parser.add_argument("--valid-on", required=True, help="the COD's validOn date, YYYY-MM-DD")
        parser.add_argument("--source", default="", help="where the files come from (URL, date fetched)")
        parser.add_argument(
            "--settlements", default=None, help="CSV of settlements with their commune P-code"
        )
        parser.add_argument("--default", action="store_true", help="make it the default version")

    def handle(self, *args, **options):
        try:
            result = cod_version_load(
                code=options["code"],
                title=options["title"],
                valid_on=options["valid_on"],
                files_by_level=parse_level_files(options["files"]),
                source=options["source"],
                settlements_file=options["settlements"],
                make_default=options["default"],
            )
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        counts = ", ".join(f"{name}: {count}" for name, count in result.counts.items())
        self.stdout.write(f"{result.version.code} loaded — {counts}")
