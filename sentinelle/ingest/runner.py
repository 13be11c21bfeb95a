"""The import engine: read the file, match its columns, map and validate every row, then write.

Rows stream in chunks (memory stays flat for 100,000 rows). Each chunk is parsed column by column first
(each distinct value of a column once, by the column's own parser: `Mapper.parse_columns`), then mapped
row by row, so that its messages are those of a row alone. Each chunk reports progress through a
callback, which is also the worker's heartbeat. Every error of every row is reported at once: the cells
are all read (a bad cell reads as empty for what follows), the kind then maps the row (places,
references), and the domain's rules run on what could be built; an error that only follows from a cell
already in error is left out. Values not in their code list and unknown place names are not errors but
values to map (value_maps.py). Writes happen only after every row is valid:
  - a job of up to SENTINELLE["IMPORT_INLINE_MAX_ROWS"] rows is written in ONE transaction;
  - a larger job (validated in full before) is written chunk by chunk, each chunk in a transaction
    that also advances the job's `progress` and counts, so a worker that dies resumes exactly where
    it stopped, and other writers are not locked out for minutes (SQLite); the rows carry source
    identifiers, so nothing is ever written twice.
"""

import hashlib
import inspect
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from sentinelle.core.figure_cache import EVERYTHING, figures_changed
from sentinelle.ingest import values as cells
from sentinelle.ingest.kinds import all_kinds, get_kind
from sentinelle.ingest.kinds.base import ImportKind, Row, RowError
from sentinelle.ingest.matching import ColumnMap, data_columns, match_columns, other_template
from sentinelle.ingest.sources import SourceError, Table, open_table
from sentinelle.ingest.value_maps import Unknowns, ValueMap, entry_id, load_value_map, value_key

logger = logging.getLogger(__name__)

CHUNK_ROWS = 1000
# Rows written per transaction by a large job (each chunk also moves the job's progress).
COMMIT_CHUNK_ROWS = 5000
# Errors kept on a job (the page pages them, the CSV has them all); error_count counts every one. A
# file with more has the same few mistakes on many rows: the count by column says which.
MAX_ERRORS = 10_000
PREVIEW_ROWS = 20


def setting(name: str, default):
    return getattr(settings, "SENTINELLE", {}).get(name, default)


def inline_max_rows() -> int:
    return int(setting("IMPORT_INLINE_MAX_ROWS", 5000))


def file_error(message: str, column: str = "") -> dict:
    return {"row": None, "column": column, "value": "", "message": message}


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
    # Unrecognised columns that hold data are errors of the file, listed with the others at once; the rest
    # (comments, names) are ignored with a warning.
    data = [] if other else data_columns(kind, table, found)
    if other:
        opened.errors = [file_error(other)]
    elif found.errors or data:
        opened.errors = found.errors + data
    elif table.row_count == 0:
        opened.errors = [file_error(_("The file has column headers but no data row."))]
    data_headers = {error["column"] for error in data}
    ignored = [header for header in found.ignored if header not in data_headers]
    if ignored:
        opened.warnings.append(
            _("Columns not recognised, ignored: %(columns)s.") % {"columns": ", ".join(ignored)}
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
    # The smallest area that holds every valid row (its version and path); None once a row has no
    # area or rows lie in two COD versions. It decides who, among area-limited staff, sees the job.
    cover: tuple[int, str] | None = None
    uncovered: bool = False
    # Values not in their code list and unknown place names, waiting for a mapping.
    unknowns: Unknowns = field(default_factory=Unknowns)
    # Errors by column header (all of them, also those beyond MAX_ERRORS).
    error_columns: Counter = field(default_factory=Counter)

    def cover_areas(self, areas: list) -> None:
        if self.uncovered:
            return
        if not areas:
            self.uncovered, self.cover = True, None
            return
        for area in areas:
            if self.cover is None:
                self.cover = (area.version_id, area.path)
            elif self.cover[0] != area.version_id:
                self.uncovered, self.cover = True, None
                return
            else:
                self.cover = (area.version_id, _common_path(self.cover[1], area.path))

    def add_error(self, row: int | None, column: str, message: str, value: str = "") -> None:
        self.error_count += 1
        self.error_columns[column] += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"row": row, "column": column, "value": value, "message": message})


def _common_path(first: str, second: str) -> str:
    """The path of the deepest area above both ("ML/ML05/" for "ML/ML05/ML0501/" and "ML/ML05/ML0502/")."""
    common = []
    for a, b in zip(first.split("/"), second.split("/"), strict=False):
        if a != b or not a:
            break
        common.append(a)
    return "".join(f"{code}/" for code in common)


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


@contextmanager
def commit_refusals(*, permission_key: str | None = "area", owners: list[int] | None = None):
    """A kind's commit: the domain service's refusals become a CommitRefused.

    A ValidationError keyed "index.field" gives each message its row (`owners[index]` when the items were
    flattened into the service's rows); a PermissionDenied goes to the first row under `permission_key`
    (None: it is not the kind's to explain, and propagates).
    """
    try:
        yield
    except PermissionDenied as error:
        if permission_key is None:
            raise
        raise CommitRefused([(0, permission_key, str(error))]) from error
    except ValidationError as error:
        problems = []
        for key, messages in error.message_dict.items():
            index, _dot, field_key = key.partition(".")
            row = 0
            if index.isdigit():
                row = owners[int(index)] if owners is not None else int(index)
            problems += [(row, field_key or key, message) for message in messages]
        raise CommitRefused(problems) from error


def start_kind(kind: ImportKind, *, job, table):
    """kind.start(job=, table=), or kind.start(job=) for a kind that does not read the table itself."""
    if "table" in inspect.signature(kind.start).parameters:
        return kind.start(job=job, table=table)
    return kind.start(job=job)


class Mapper:
    """Maps rows of one opened file for one job: typed values, domain input, errors with columns.

    `value_map` is the job's mappings ({column: {normalised value: code}}): by default those remembered
    for its organisation, source and kind; the commit passes the ones its validation applied.
    """

    def __init__(self, opened: Opened, *, job, domain_checks: bool = True, value_map: dict | None = None):
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
        if value_map is None:
            value_map = load_value_map(
                organisation=job.organisation, source=getattr(job, "source", ""), kind=self.kind.code
            )
        self.values = ValueMap(self.kind, value_map)
        self._places = None
        # Whole-column cell parsing (`parse_columns`): column key -> {(type, value): parsed cell}.
        self.parsed: dict[str, dict] = {}

    @property
    def places(self):
        """The names of the geography by level (built on first need: a file without place errors never
        pays for it), from the kind's own resolver when it has one."""
        if self._places is None:
            from sentinelle.geography.selectors import AreaResolver
            from sentinelle.ingest.synonyms import PlaceIndex

            resolver = getattr(self.context, "resolver", None) or AreaResolver()
            self._places = PlaceIndex(resolver)
        return self._places

    def _hash(self, row: Row) -> str:
        return content_hash(self.organisation_key, self.kind.code, row)

    def column_header(self, key: str) -> str:
        if key in self.columns.positions:
            return self.columns.header(key)
        column = self.kind.columns_by_key.get(key)
        return column.french_label() if column else ""

    def domain_column(self, domain_key: str, raw: dict | None = None) -> str:
        """The column a domain error is about: the first of its columns that the row fills, else that the
        file has."""
        candidates = self.kind.columns_for_error(domain_key)
        for key in candidates:
            if raw is not None and key in raw:
                return key
        for key in candidates:
            if key in self.columns.positions:
                return key
        return candidates[0] if candidates else ""

    def domain_header(self, domain_key: str) -> str:
        key = self.domain_column(domain_key)
        return self.column_header(key) if key else ""

    def _is_place(self, key: str) -> bool:
        column = self.kind.columns_by_key.get(key)
        return column is not None and column.place_level is not None

    def _unknown_places(self, row: Row) -> list[tuple[str, str]]:
        """The row's place names that no area of their level has ("Mopit" as a cercle)."""
        found = []
        for key, value in row.raw.items():
            column = row.columns[key]
            if column.takes_place_names and not self.places.known(cells.shown(value), column.place_level):
                found.append((key, cells.shown(value)))
        return found

    def _build(self, row: Row, partial: bool):
        try:
            return self.kind.build(row, self.context)
        except RowError:
            return None
        except Exception:
            if not partial:
                raise
            # A row with bad cells reads them as empty; a kind that cannot build from that has nothing
            # more to say about the row until they are corrected.
            logger.debug("import: %s could not map a row with bad cells", self.kind.code, exc_info=True)
            return None

    def _domain_problems(self, item, partial: bool) -> list[tuple[str, str]]:
        try:
            return self.kind.validate(item, self.context) if self.domain_checks else []
        except Exception:
            if not partial:
                raise
            logger.debug("import: %s could not check a row with bad cells", self.kind.code, exc_info=True)
            return []

    def map(self, number: int, values: list, outcome: Outcome):
        """The valid item of a row, or None after recording its errors (every one) in `outcome`."""
        original = {}
        for key, index in self.positions:
            value = values[index]
            if value is None or value == "" or (value.__class__ is str and value.isspace()):
                continue
            original[key] = value
        raw = self.values.apply(original) if self.values else original
        row = Row(number, raw, self.kind.columns_by_key, hasher=self._hash, language=self.language)
        parsed = self.parsed
        for key, value in raw.items():
            # The column's parse of this value, when its chunk was parsed whole and the value is the
            # file's (not a mapped one); else the cell is parsed here, with the same parser.
            found = parsed[key].get((value.__class__, value)) if key in parsed else None
            if found is None or original.get(key) is not value:
                row.get(key)
                continue
            result, message, unknown = found
            if message is not None:
                row.errors.append((key, message))
            elif unknown is not None:
                row.unknown.extend((key, part) for part in unknown)
            elif result.__class__ is list:
                result = list(result)
            row.seed(key, result)
        for column in self.required:
            if not row.has(column.key) and not any(row.has(key) for key in column.required_unless):
                row.error(column.key, _("Empty cell: this column is required."))
        # Every cell is read first; the kind then maps the row with the bad cells read as empty, so that
        # a bad date does not hide a bad cercle.
        cell_errors, row.errors = row.errors, []
        partial = bool(cell_errors or row.unknown)
        item = self._build(row, partial)
        built = row.errors
        unknown = list(row.unknown)
        if any(self._is_place(key) for key, _message in built):
            places = self._unknown_places(row)
            if places:
                # The place errors follow from names Sentinelle does not know: they wait for a mapping.
                unknown += places
                built = [(key, message) for key, message in built if not self._is_place(key)]
        bad = {key for key, _message in cell_errors} | {key for key, _value in unknown}
        # An error on a column whose cell is already wrong only repeats it ("give the sex" after an
        # unknown sex).
        errors = cell_errors + [(key, message) for key, message in built if key not in bad]
        bad |= {key for key, _message in errors}
        partial = partial or bool(built)
        if item is not None:
            # A kind may return what it could build after recording errors: the domain's rules then
            # report the rest of the row (never written).
            for domain_key, message in self._domain_problems(item, partial):
                key = self.domain_column(domain_key, raw)
                if bad.intersection(self.kind.columns_for_error(domain_key)):
                    continue  # follows from a cell already reported (or waiting for a mapping)
                errors.append((key, message))
        errors.sort(key=lambda error: self.columns.positions.get(error[0], len(self.columns.headers)))
        for key, message in errors:
            shown = cells.shown(original[key]) if key in original else ""
            outcome.add_error(number, self.column_header(key), message, shown)
        # Once per row and value (a cell may hold "FDS; fds").
        seen = set()
        for key, value in unknown:
            if (key, value_key(value)) not in seen:
                seen.add((key, value_key(value)))
                outcome.unknowns.add(key, value, number)
        if errors or unknown or item is None:
            if unknown and not errors:
                outcome.unknowns.pending_rows += 1
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
                    number,
                    self.column_header(id_column) if id_column else "",
                    message % {"row": first},
                    cells.shown(original[id_column]) if id_column in original else "",
                )
                return None
        return item

    def parse_columns(self, chunk: list[tuple[int, list]]) -> None:
        """Parse the chunk column by column: each distinct value of a column once (dates, counts, codes,
        yes/no repeat down a column), with the column's own parser, so that `map` only looks its cells
        up and every message is the one the cell alone would give."""
        self.parsed = {}
        language = self.language
        by_column = list(zip(*(values for _number, values in chunk), strict=True))
        for key, index in self.positions:
            column = self.kind.columns_by_key[key]
            found: dict = {}
            # Distinct values by the set (1, 1.0 and True fall together there: those of another type
            # than the one kept are parsed by `map` itself).
            for value in set(by_column[index]):
                if value is None or value == "" or (value.__class__ is str and value.isspace()):
                    continue
                try:
                    found[(value.__class__, value)] = (column.parse(value, language), None, None)
                except cells.UnknownCode as error:
                    found[(value.__class__, value)] = (None, None, list(error.values))
                except cells.CellError as error:
                    found[(value.__class__, value)] = (None, error.message, None)
            self.parsed[key] = found

    def chunks(self, start: int = 0, size: int = CHUNK_ROWS) -> Iterator[list[tuple[int, list]]]:
        """The rows by chunks, each parsed column by column (`parse_columns`) before it is mapped."""
        rows = self.table.rows(start)
        while chunk := list(islice(rows, size)):
            self.parse_columns(chunk)
            yield chunk
        self.parsed = {}


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
            outcome.cover_areas(kind.areas(item))
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
    figures_changed(EVERYTHING)  # an import can move any figure
    created, unchanged, *rest = result
    return created, unchanged, list(rest[0]) if rest else []


def covering_area(outcome: Outcome):
    """The area every valid row of the pass lies in, or None (no row, rows without an area, or across
    COD versions)."""
    from sentinelle.geography.models import AdminArea

    if outcome.uncovered or outcome.cover is None or not outcome.cover[1]:
        return None
    version_id, path = outcome.cover
    return AdminArea.objects.filter(version_id=version_id, path=path).first()


def preview_of(opened: Opened, outcome: Outcome, mapper: Mapper | None = None) -> dict:
    columns = opened.columns
    mapping = [
        [columns.header(key), opened.kind.columns_by_key[key].french_label()]
        for key, _index in sorted(columns.positions.items(), key=lambda item: item[1])
    ]
    preview = {
        "columns": [str(label) for label in opened.kind.preview_labels],
        "rows": outcome.preview_rows,
        "mapping": mapping,
        # Errors by column, most first: with thousands of errors, where they are.
        "error_columns": [[column or "", count] for column, count in outcome.error_columns.most_common()],
        "pending_rows": outcome.unknowns.pending_rows,
        "unmapped_overflow": [
            [mapper.column_header(key) if mapper else key, len(keys)]
            for key, keys in outcome.unknowns.overflow.items()
        ],
    }
    if mapper is not None:
        # The remembered mappings this file used ("3 values mapped from your earlier choices").
        order = {column.key: index for index, column in enumerate(mapper.kind.columns)}
        in_order = sorted(
            mapper.values.used.items(), key=lambda item: (order.get(item[0][0], 0), item[1].value)
        )
        preview["remembered"] = [
            {
                "id": entry_id(used.column, key),
                "column": used.column,
                "header": mapper.column_header(used.column),
                "value": used.value,
                "code": used.code,
                "rows": used.rows,
            }
            for (_column, key), used in in_order
        ]
    return preview


def unmapped_of(mapper: Mapper, outcome: Outcome) -> list[dict]:
    """The job's values to map, with their suggestions."""
    if not outcome.unknowns.found:
        return []
    has_places = any(
        mapper.kind.columns_by_key[key].takes_place_names for key, _value in outcome.unknowns.found
    )
    return outcome.unknowns.entries(
        kind=mapper.kind, header=mapper.column_header, places=mapper.places if has_places else None
    )
