"""The import engine: read the file, match its columns, map and validate every row, then write.

Rows stream in chunks (memory stays flat for 100,000 rows). Each chunk reports progress through a
callback, which is also the worker's heartbeat. Writes happen only after every row is valid:
  - a job of up to SENTINELLE["IMPORT_INLINE_MAX_ROWS"] rows is written in ONE transaction;
  - a larger job (validated in full before) is written chunk by chunk, each chunk in a transaction
    that also advances the job's `progress` and counts, so a worker that dies resumes exactly where
    it stopped, and other writers are not locked out for minutes (SQLite); the rows carry source
    identifiers, so nothing is ever written twice.
"""

import hashlib
import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sentinelle.ingest.kinds import all_kinds, get_kind
from sentinelle.ingest.kinds.base import ImportKind, Row, RowError
from sentinelle.ingest.matching import ColumnMap, match_columns, other_template
from sentinelle.ingest.sources import SourceError, Table, open_table

CHUNK_ROWS = 1000
# Rows written per transaction by a large job (each chunk also moves the job's progress).
COMMIT_CHUNK_ROWS = 5000
MAX_ERRORS = 1000
PREVIEW_ROWS = 20


def setting(name: str, default):
    return getattr(settings, "SENTINELLE", {}).get(name, default)


def inline_max_rows() -> int:
    return int(setting("IMPORT_INLINE_MAX_ROWS", 5000))


def follow_up_inline_max() -> int:
    """Records whose follow-ups an import run in the request may still run itself; more wait for the
    worker (alerts and duplicate detection cost more per record than the import itself)."""
    return int(setting("IMPORT_FOLLOW_UP_INLINE_MAX", 200))


def file_error(message: str, column: str = "") -> dict:
    return {"row": None, "column": column, "message": message}


@dataclass
class Opened:
    """A readable file with its columns matched, or the file-level errors that stop it."""

    kind: ImportKind
    table: Table | None = None
    columns: ColumnMap | None = None
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def open_job_file(kind_code: str, content: bytes) -> Opened:
    kind = get_kind(kind_code)
    try:
        table = open_table(content)
    except SourceError as error:
        return Opened(kind=kind, errors=[file_error(str(error))])
    found = match_columns(kind, table)
    opened = Opened(kind=kind, table=table, columns=found, warnings=list(table.warnings))
    other = other_template(kind, table, found, all_kinds())
    if other:
        opened.errors = [file_error(other)]
    elif found.errors:
        opened.errors = found.errors
    elif table.row_count == 0:
        opened.errors = [file_error(_("The file has column headers but no data row."))]
    if found.ignored:
        opened.warnings.append(
            _("Columns not recognised, ignored: %(columns)s.") % {"columns": ", ".join(found.ignored)}
        )
    return opened


@dataclass
class Outcome:
    """What a pass over the rows found."""

    row_count: int = 0
    valid_count: int = 0
    error_count: int = 0
    existing_count: int = 0
    errors: list[dict] = field(default_factory=list)
    preview_rows: list[dict] = field(default_factory=list)
    items: list = field(default_factory=list)  # kept only when asked (inline commit)
    numbers: list[int] = field(default_factory=list)  # the row number of each kept item

    def add_error(self, row: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})


def content_hash(organisation_key: str, kind: str, row: Row) -> str:
    """A stable identifier for a row without one: its typed values (not their spelling) and the owner.

    Typed, so that 05/03/2024 in a workbook and 2024-03-05 in a CSV give the same identifier; empty
    cells left out, so that adding an empty column to the file changes nothing.
    """
    values = {}
    for key in sorted(row.raw):
        value = row.get(key)
        if value is not None and value != "" and value != []:
            values[key] = value
    payload = json.dumps([organisation_key, kind, values], sort_keys=True, default=str, ensure_ascii=False)
    return "h:" + hashlib.sha256(payload.encode()).hexdigest()[:40]


class CommitRefused(Exception):
    """The domain refused rows at write time: [(index in the items, domain key, message)]."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        super().__init__(problems)
        self.problems = problems


def start_kind(kind: ImportKind, *, job, table):
    """kind.start(job=, table=), or kind.start(job=) for a kind that does not read the table itself."""
    if "table" in inspect.signature(kind.start).parameters:
        return kind.start(job=job, table=table)
    return kind.start(job=job)


class Mapper:
    """Maps rows of one opened file for one job: typed values, domain input, errors with columns."""

    def __init__(self, opened: Opened, *, job, domain_checks: bool = True):
        self.kind = opened.kind
        self.table = opened.table
        self.columns = opened.columns
        self.job = job
        self.context = start_kind(self.kind, job=job, table=opened.table)
        self.organisation_key = str(job.organisation.public_id)
        self.positions = list(self.columns.positions.items())
        self.language = translation.get_language()
        # At commit, a kind whose domain service validates again (and says which row) is not asked twice.
        self.domain_checks = domain_checks or not self.kind.commit_validates
        self.seen: dict[str, int] = {}
        self.required = [
            column for column in self.kind.columns if column.required and column.key in self.columns.positions
        ]

    def _hash(self, row: Row) -> str:
        return content_hash(self.organisation_key, self.kind.code, row)

    def column_header(self, key: str) -> str:
        if key in self.columns.positions:
            return self.columns.header(key)
        column = self.kind.columns_by_key.get(key)
        return column.french_label() if column else ""

    def domain_header(self, domain_key: str) -> str:
        candidates = self.kind.columns_for_error(domain_key)
        for key in candidates:
            if key in self.columns.positions:
                return self.columns.header(key)
        return self.column_header(candidates[0]) if candidates else ""

    def map(self, number: int, values: list, outcome: Outcome):
        """The valid item of a row, or None after recording its errors in `outcome`."""
        raw = {}
        for key, index in self.positions:
            value = values[index]
            if value is None or value == "" or (value.__class__ is str and value.isspace()):
                continue
            raw[key] = value
        row = Row(number, raw, self.kind.columns_by_key, hasher=self._hash, language=self.language)
        for key in raw:
            row.get(key)
        for column in self.required:
            if not row.has(column.key) and not any(row.has(key) for key in column.required_unless):
                row.error(column.key, _("Empty cell: this column is required."))
        item = None
        if not row.errors:
            try:
                item = self.kind.build(row, self.context)
            except RowError:
                item = None
        for key, message in row.errors:
            outcome.add_error(number, self.column_header(key), message)
        if row.errors or item is None:
            return None
        problems = self.kind.validate(item, self.context) if self.domain_checks else []
        for domain_key, message in problems:
            outcome.add_error(number, self.domain_header(domain_key), message)
        if problems:
            return None
        source_id = self.kind.source_id(item)
        if source_id:
            first = self.seen.setdefault(source_id, number)
            if first != number:
                id_column = "source_id" if "source_id" in self.columns.positions else ""
                message = (
                    _("Same identifier as row %(row)s: each row must be a different record.")
                    if id_column
                    else _(
                        "This row repeats row %(row)s exactly: it would be imported once only. Add an "
                        "identifier column (#event+id) if they are different records."
                    )
                )
                outcome.add_error(
                    number, self.column_header(id_column) if id_column else "", message % {"row": first}
                )
                return None
        return item

    def chunks(self, start: int = 0, size: int = CHUNK_ROWS) -> Iterator[list[tuple[int, list]]]:
        rows = self.table.rows(start)
        while chunk := list(islice(rows, size)):
            yield chunk


def run_pass(
    mapper: Mapper,
    *,
    on_progress: Callable[[int], None] | None = None,
    keep_items: bool = False,
    count_existing: bool = True,
) -> Outcome:
    """Map and validate every row; nothing is written."""
    outcome = Outcome()
    kind, job = mapper.kind, mapper.job
    for chunk in mapper.chunks():
        valid = []
        for number, values in chunk:
            outcome.row_count += 1
            item = mapper.map(number, values, outcome)
            if item is None:
                continue
            outcome.valid_count += 1
            valid.append(item)
            if keep_items:
                outcome.numbers.append(number)
            if len(outcome.preview_rows) < PREVIEW_ROWS:
                outcome.preview_rows.append({"row": number, "values": kind.preview(item)})
        if count_existing and valid:
            ids = [kind.source_id(item) for item in valid]
            outcome.existing_count += len(kind.existing(organisation=job.organisation, source_ids=ids))
        if keep_items:
            outcome.items.extend(valid)
        if on_progress is not None:
            on_progress(outcome.row_count)
    return outcome


def commit_items(
    mapper: Mapper, *, actor, items: list, numbers: list[int], outcome: Outcome
) -> tuple[int, int, list[int]]:
    """Write the items through the kind: (created, unchanged, ids awaiting follow-ups). A refusal at
    write time becomes row errors (nothing written)."""
    try:
        result = mapper.kind.commit(actor=actor, organisation=mapper.job.organisation, items=items)
    except CommitRefused as refused:
        for index, domain_key, message in refused.problems:
            outcome.add_error(numbers[index], mapper.domain_header(domain_key), message)
        raise
    created, unchanged, *rest = result
    return created, unchanged, list(rest[0]) if rest else []


def preview_of(opened: Opened, outcome: Outcome) -> dict:
    columns = opened.columns
    mapping = [
        [columns.header(key), opened.kind.columns_by_key[key].french_label()]
        for key, _index in sorted(columns.positions.items(), key=lambda item: item[1])
    ]
    return {
        "columns": [str(label) for label in opened.kind.preview_labels],
        "rows": outcome.preview_rows,
        "mapping": mapping,
    }
