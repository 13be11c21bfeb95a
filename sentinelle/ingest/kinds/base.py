"""What an import kind declares: its columns, how a row becomes the domain's input, how rows are written.

The runner (ingest/runner.py) does everything else: reading the file, matching its columns, parsing cells
by declared type, collecting French errors by row and column, previews, progress, all-or-nothing.
A kind only maps typed values to the domain's input dataclass and calls the domain's bulk service.
"""

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from django.utils import translation
from django.utils.functional import Promise
from hxl.model import TagPattern

from sentinelle.core.permissions import Perm
from sentinelle.core.text import normalise_text
from sentinelle.ingest import values as cells

TEXT, DATE, COUNT, NUMBER, BOOL, CODE, CODES = "text", "date", "count", "number", "bool", "code", "codes"
PARSE_CACHE_SIZE = 10_000
# A column of place names (#adm2+name) or P-codes (#adm2+code), whatever the kind: its level.
_PLACE_TAG = re.compile(r"^#adm([1-4])\+(name|code)$")


@dataclass(frozen=True, eq=False)
class ImportColumn:
    """One column of a template: French header, HXL hashtag, Kobo/ODK question names, type."""

    key: str
    label: str | Promise
    hxl: str  # the hashtag written in templates, e.g. "#date+occurred"
    type: str = TEXT
    required: bool = False
    choices: object = None  # a TextChoices class, for CODE / CODES
    aliases: tuple[tuple[str, str], ...] = ()  # extra spellings accepted for codes: (spelling, code)
    kobo: tuple[str, ...] = ()  # XLSForm question names (Kobo/ODK exports)
    help: str | Promise = ""
    # Patterns ("|" between alternatives) that recognise the column in any HXL file; exclusions keep a
    # general column (#affected+killed+f) from taking a specific one (#affected+killed+f+age_0_5).
    match: str = ""
    # Required unless the file has one of these columns (a GBV form export has no category column).
    required_unless: tuple[str, ...] = ()
    in_template: bool = True

    @cached_property
    def patterns(self) -> list[TagPattern]:
        return [TagPattern.parse(text) for text in (self.match or self.hxl).split("|")]

    def specificity(self, tag) -> int:
        """-1 when the column does not match the tag, else how many attributes the best pattern names."""
        return max((len(p.include_attributes) for p in self.patterns if p.match(tag)), default=-1)

    @cached_property
    def codes(self) -> cells.CodeList | None:
        if self.choices is None:
            return None
        return cells.CodeList(self.choices, aliases=dict(self.aliases), name=str(self.label))

    @cached_property
    def place_level(self) -> int | None:
        """The admin level of a column of place names or P-codes (from its hashtag), else None."""
        match = _PLACE_TAG.match(self.hxl)
        return int(match.group(1)) if match else None

    @cached_property
    def takes_place_names(self) -> bool:
        """A column of place names (#adm3+name): an unknown name there can be mapped to a P-code."""
        return self.place_level is not None and self.hxl.endswith("+name")

    @property
    def mappable(self) -> bool:
        """May the mapping step map this column's unknown values (a code list, or place names)?"""
        return self.codes is not None or self.takes_place_names

    @cached_property
    def header_keys(self) -> set[str]:
        """Normalised spellings of the header that recognise the column (French, English, key)."""
        keys = {normalise_text(self.key), normalise_text(self.hxl)}
        for language in ("fr", "en"):
            with translation.override(language):
                keys.add(normalise_text(str(self.label)))
        return keys - {""}

    @cached_property
    def kobo_keys(self) -> set[str]:
        return {name.lower() for name in (*self.kobo, self.key)}

    def french_label(self) -> str:
        with translation.override("fr"):
            return str(self.label)

    @cached_property
    def _cache(self) -> dict | None:
        # Code lists, dates and yes/no repeat down a column: parse each distinct spelling once per
        # process (the results do not depend on the job). Bounded, as a column of free dates could
        # hold many distinct values.
        return {} if self.type in (DATE, BOOL, CODE, CODES) else None

    def parse(self, value, language: str | None = None):
        """The typed value of a non-empty cell, or CellError (its message in `language`'s words)."""
        cache = self._cache
        if cache is None:
            return self._parse(value)
        key = (language or translation.get_language(), value.__class__, value)
        found = cache.get(key)
        if found is None:
            try:
                found = (self._parse(value), None)
            except cells.CellError as error:
                found = (None, error)
            if len(cache) < PARSE_CACHE_SIZE:
                cache[key] = found
        if found[1] is not None:
            raise found[1]
        return list(found[0]) if self.type == CODES else found[0]

    def _parse(self, value):
        if self.type == DATE:
            return cells.parse_date(value)
        if self.type == COUNT:
            return cells.parse_count(value)
        if self.type == NUMBER:
            return cells.parse_number(value)
        if self.type == BOOL:
            return cells.parse_bool(value)
        if self.type == CODE:
            return self.codes.parse(value)
        if self.type == CODES:
            return self.codes.parse_many(value)
        return cells.parse_text(value)


class RowError(Exception):
    """Raised by a kind's `build` to stop mapping a row whose errors are already recorded."""


class Row:
    """One data row while a kind maps it: typed values by column key, and the errors found.

    A value that is not in its column's code list is not an error of the row but an unknown value
    (`unknown`), which the import's mapping step lists once for all the rows that hold it.
    """

    __slots__ = ("_hasher", "_parsed", "columns", "errors", "language", "number", "raw", "unknown")

    def __init__(self, number: int, raw: dict, columns: dict[str, ImportColumn], hasher=None, language=None):
        self.number = number
        self.raw = raw  # column key -> cell value, only the non-empty cells
        self.columns = columns
        self.errors: list[tuple[str, str]] = []  # (column key or "", message)
        self.unknown: list[tuple[str, str]] = []  # (column key, value not in the code list)
        self._parsed: dict = {}
        self._hasher = hasher
        self.language = language

    def content_hash(self) -> str:
        """A stable identifier from the row's typed values, for files without an identifier column."""
        return self._hasher(self) if self._hasher else ""

    def has(self, key: str) -> bool:
        return key in self.raw

    def get(self, key: str, default=None):
        """The typed value of the cell, `default` when empty or absent; a bad cell is recorded once."""
        if key not in self.raw:
            return default
        if key in self._parsed:
            result = self._parsed[key]
            return default if result is None else result
        try:
            result = self.columns[key].parse(self.raw[key], self.language)
        except cells.UnknownCode as error:
            self.unknown.extend((key, value) for value in error.values)
            result = None
        except cells.CellError as error:
            self.errors.append((key, error.message))
            result = None
        self._parsed[key] = result
        return default if result is None else result

    def seed(self, key: str, result) -> None:
        """Give the cell's typed value parsed beforehand (the runner parses whole columns); None for a
        cell whose error or unknown value the caller recorded."""
        self._parsed[key] = result

    def error(self, key: str, message: str) -> None:
        self.errors.append((key, message))


class ImportKind(ABC):
    """Base of every kind of import; subclasses set the attributes and implement the methods."""

    code: str = ""
    label: str | Promise = ""
    description: str | Promise = ""
    columns: Sequence[ImportColumn] = ()
    # Groups of columns of which the file must have at least one (e.g. a place by code or by name).
    required_any: Sequence[Sequence[str]] = ()
    # The permission needed for the organisation, beyond Perm.IMPORT_RUN.
    perm: Perm = Perm.IMPORT_RUN
    # Domain error keys (message_dict) -> column keys, most specific first; prefixes match "gbv.x".
    error_columns: dict[str, Sequence[str]] = {}
    preview_labels: Sequence[str | Promise] = ()
    # True when `commit` validates every item again and raises CommitRefused naming the items.
    commit_validates: bool = False
    # Kobo/ODK export columns to skip silently (questions that hold no data of their own).
    kobo_ignored: frozenset = frozenset()
    # Lines of the templates' instructions that only this kind needs.
    instructions: Sequence[str | Promise] = ()

    @cached_property
    def columns_by_key(self) -> dict[str, ImportColumn]:
        return {column.key: column for column in self.columns}

    def template_columns(self) -> list[ImportColumn]:
        return [column for column in self.columns if column.in_template]

    def start(self, *, job, table=None) -> object:
        """Per-job context (look-up tables) built once before the rows; `table` is the file read."""
        return None

    @abstractmethod
    def build(self, row: Row, context) -> object:
        """The domain input for a row; record problems with row.error / row.get, and raise RowError when
        nothing can be built. An item returned after recording errors is only checked by the domain's
        rules (so that every error of the row is reported at once), never written."""

    def validate(self, item, context) -> list[tuple[str, str]]:
        """Domain validation: [(domain key, message)]."""
        return []

    def source_id(self, item) -> str:
        return ""

    def existing(self, *, organisation, source_ids: list[str]) -> set[str]:
        """The source ids among `source_ids` already recorded for the organisation."""
        return set()

    @abstractmethod
    def commit(self, *, actor, organisation, items: list) -> tuple[int, int] | tuple[int, int, list[int]]:
        """Write the items in one transaction; (created, unchanged), or (created, unchanged, ids) for a
        kind whose new records have follow-ups: the job keeps the ids and calls `follow_up` once."""

    def follow_up(self, *, ids: list[int]) -> None:
        """What must happen once the job's records are committed (e.g. alerts); nothing by default."""
        return None

    def areas(self, item) -> list:
        """The admin areas a valid item lies in (its `area`, by default); [] when it has none. The job's
        covering area, and so who may read its preview, follows from them."""
        area = getattr(item, "area", None)
        return [area] if hasattr(area, "path") else []

    def preview(self, item) -> list[str]:
        return []

    def columns_for_error(self, key: str) -> Sequence[str]:
        while key:
            if key in self.error_columns:
                return self.error_columns[key]
            key = key.rpartition(".")[0]
        return ()
