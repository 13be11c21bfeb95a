"""Import a file from the command line: validate and show the preview or the errors; --commit writes.

    python manage.py import_data incidents fichier.xlsx --org ALPHA            # check only
    python manage.py import_data incidents fichier.xlsx --org ALPHA --commit   # check, then write
    python manage.py import_data incidents fichier.xlsx --org ALPHA --source "Kobo AMSS"

The exit code is 1 when the file has errors or values to map (nothing is written): values that are not in
their code list are mapped on the job's page (/imports/<job>/), once per source; --source applies the
mappings remembered for that source. The job is recorded like an upload
from the web pages (history, audit), in the name of --user, by default the first active administrator.
"""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sentinelle.accounts.models import Organisation, User
from sentinelle.core.models import Role
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.models import ImportStatus
from sentinelle.ingest.services import import_job_commit, import_job_follow_up, import_job_upload

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Validate a file for import (preview or errors); with --commit, import it."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="kind of records, e.g. incidents")
        parser.add_argument("file", help="an .xlsx or .csv file")
        parser.add_argument("--org", required=True, help="acronym of the organisation the records belong to")
        parser.add_argument("--commit", action="store_true", help="write the records when the file is valid")
        parser.add_argument("--user", help="account the import is recorded under (default: an administrator)")
        parser.add_argument("--source", default="", help="source of the file, whose value mappings apply")

    def handle(self, *args, **options):
        try:
            kind = get_kind(options["kind"])
        except LookupError as error:
            raise CommandError(str(error)) from None
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": path})
        organisation = Organisation.objects.filter(acronym__iexact=options["org"], is_archived=False).first()
        if organisation is None:
            raise CommandError(_("Unknown organisation: %(acronym)s") % {"acronym": options["org"]})
        actor = self._actor(options.get("user"))
        try:
            job = import_job_upload(
                actor=actor,
                kind=kind.code,
                organisation=organisation,
                filename=path.name,
                content=path.read_bytes(),
                source=options["source"],
                run_now=True,
            )
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        self._report(job, kind)
        if job.status == ImportStatus.MAPPING:
            raise CommandError(
                _("Values to map: %(count)s; map them on the page of the import, then import it there.")
                % {"count": len(job.unmapped)},
                returncode=1,
            )
        if job.status != ImportStatus.VALID:
            raise CommandError(
                _("Errors: %(count)s; nothing was written.") % {"count": job.error_count}, returncode=1
            )
        if not options["commit"]:
            self.stdout.write(_("Valid. Nothing was written: run again with --commit to import."))
            return
        job = import_job_commit(actor=actor, job=job, run_now=True)
        if job.status != ImportStatus.COMMITTED:
            self._errors(job)
            raise CommandError(job.failure or _("The import was refused: nothing was written."), returncode=1)
        # Duplicate detection and alerts, which a request leaves to the worker for a large file.
        import_job_follow_up(job=job)
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported. Records created: %(created)s; already there (unchanged): %(unchanged)s.")
                % {"created": job.created_count, "unchanged": job.unchanged_count}
            )
        )

    def _actor(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(_("Unknown or inactive account: %(username)s") % {"username": username})
            return user
        user = (
            User.objects.filter(
                is_active=True,
                memberships__role=Role.ADMIN,
                memberships__is_archived=False,
            )
            .order_by("id")
            .first()
        )
        if user is None:
            raise CommandError(_("No active administrator: give --user."))
        return user

    def _report(self, job, kind) -> None:
        write = self.stdout.write
        write(
            _("%(kind)s · %(file)s · %(format)s · rows: %(rows)s, valid: %(valid)s, errors: %(errors)s")
            % {
                "kind": kind.label,
                "file": job.original_filename,
                "format": job.get_format_display(),
                "rows": job.row_count,
                "valid": job.valid_count,
                "errors": job.error_count,
            }
        )
        for warning in job.warnings:
            write(self.style.WARNING(warning))
        for entry in job.unmapped:
            self.stderr.write(
                _("to map · %(column)s: “%(value)s” (%(rows)s rows)")
                % {"column": entry["header"], "value": entry["value"], "rows": entry["rows"]}
            )
        if job.errors:
            self._errors(job)
            return
        preview = job.preview or {}
        if preview.get("rows"):
            write(_("Preview:"))
            write("  " + " | ".join([_("Row"), *preview.get("columns", [])]))
            for row in preview["rows"]:
                write("  " + " | ".join([str(row["row"]), *row["values"]]))
        if job.existing_count:
            write(
                _("Rows already imported, which will stay unchanged: %(count)s.")
                % {"count": job.existing_count}
            )

    def _errors(self, job) -> None:
        for error in job.errors[:SHOWN_ERRORS]:
            where = _("row %(row)s") % {"row": error["row"]} if error.get("row") else _("file")
            column = f" · {error['column']}" if error.get("column") else ""
            self.stderr.write(f"{where}{column}: {error['message']}")
        if job.error_count > SHOWN_ERRORS:
            self.stderr.write(_("… and %(count)s more.") % {"count": job.error_count - SHOWN_ERRORS})
