"""Which column of the file is which column of the kind: HXL hashtag, then header, then Kobo name.

A hashtag row wins when there is one: it is the standard, and the Sentinelle templates carry one under
their French headers. Headers match the template's French (or English) header with case, accents and
punctuation ignored. Kobo/ODK exports name columns "group/question" or "question"; the last segment is
compared with the question names of Sentinelle's XLSForm.
"""

import re
from dataclasses import dataclass, field
from itertools import pairwise

from django.utils.translation import gettext as _

from sentinelle.core.text import normalise_text
from sentinelle.ingest.kinds.base import COUNT, NUMBER, ImportKind
from sentinelle.ingest.models import ImportFormat
from sentinelle.ingest.sources import Table

# Match quality: lower is better; when two file columns claim the same field the better one is kept.
BY_HXL, BY_HEADER, BY_KOBO = 0, 1, 2
TEMPLATE_MARKER = "sentinelle-import:"
# HXL hashtags of figures (people, households, quantities): an unrecognised column under one of those that
# the kind's own figures use (#affected for incidents, #reached for activities...) is data, never ignored.
FIGURE_FAMILIES = frozenset(
    {
        "#affected",
        "#inneed",
        "#targeted",
        "#reached",
        "#population",
        "#value",
        "#indicator",
        "#output",
        "#capacity",
    }
)
# Rows read to tell whether an unrecognised column holds numbers, and the share of numbers that does.
SAMPLE_ROWS = 200
NUMBERS_SHARE = 0.5
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?%?")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


@dataclass
class ColumnMap:
    positions: dict[str, int] = field(default_factory=dict)  # column key -> index in the file
    headers: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # file headers not recognised
    ignored_positions: list[int] = field(default_factory=list)  # and their indexes in the file
    errors: list[dict] = field(default_factory=list)  # file-level errors
    format: str = ImportFormat.UNKNOWN

    def header(self, key: str) -> str:
        return self.headers[self.positions[key]] if key in self.positions else ""


def _by_hxl(kind: ImportKind, tag):
    """The most specific column whose pattern matches the tag; None if none or a tie."""
    scored = sorted(
        ((column.specificity(tag), index) for index, column in enumerate(kind.columns)), reverse=True
    )
    if not scored or scored[0][0] < 0:
        return None
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None
    return kind.columns[scored[0][1]]


def _by_header(kind: ImportKind, header: str):
    key = normalise_text(header)
    if not key:
        return None
    for column in kind.columns:
        if key in column.header_keys:
            return column
    return None


def _by_kobo(kind: ImportKind, header: str):
    """(column, rank) for a Kobo/ODK export header; earlier question names rank first."""
    name = header.strip().rsplit("/", 1)[-1].lower()
    for column in kind.columns:
        for rank, candidate in enumerate((*column.kobo, column.key)):
            if name == candidate.lower():
                return column, rank
    return None, 0


def _is_kobo_metadata(kind: ImportKind, header: str) -> bool:
    """Export columns that are no data of ours: metadata, and the one-column-per-option of a
    select_multiple question ("what/categories/life") whose answer is also in its own column."""
    text = header.strip().lower()
    if text.startswith(("_", "meta/")) or text in {"start", "end", "today", "deviceid", "username"}:
        return True
    parts = text.split("/")
    if parts[-1] in kind.kobo_ignored:
        return True
    return len(parts) > 1 and _by_kobo(kind, "/".join(parts[:-1]))[0] is not None


def _cell_name(index: int) -> str:
    """Spreadsheet column letters for a 0-based index: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def match_columns(kind: ImportKind, table: Table) -> ColumnMap:
    found = ColumnMap(headers=[header or _cell_name(index) for index, header in enumerate(table.headers)])
    is_kobo = table.is_kobo
    chosen: dict[str, tuple[int, int]] = {}  # key -> (quality, index)
    for index, header in enumerate(table.headers):
        tag = table.hashtags[index] if index < len(table.hashtags) else None
        column, quality = None, BY_HXL
        if tag is not None:
            column = _by_hxl(kind, tag)
        if column is None and header:
            column, quality = _by_header(kind, header), BY_HEADER
        if column is None and header:
            column, rank = _by_kobo(kind, header)
            quality = BY_KOBO + rank
        if column is None:
            if (header or tag) and not (is_kobo and _is_kobo_metadata(kind, header)):
                found.ignored.append(found.headers[index])
                found.ignored_positions.append(index)
            continue
        previous = chosen.get(column.key)
        if previous is None or quality < previous[0]:
            chosen[column.key] = (quality, index)
        elif quality == previous[0]:
            found.errors.append(
                {
                    "row": None,
                    "column": found.headers[index],
                    "message": _(
                        "The columns “%(first)s” and “%(second)s” both give “%(field)s”: keep only one."
                    )
                    % {
                        "first": found.headers[previous[1]],
                        "second": found.headers[index],
                        "field": column.french_label(),
                    },
                }
            )
    found.positions = {key: index for key, (_quality, index) in chosen.items()}
    found.format = _format(table, is_kobo)
    found.errors.extend(_missing(kind, found))
    return found


def _format(table: Table, is_kobo: bool) -> str:
    if is_kobo:
        return ImportFormat.KOBO_XLSX if table.is_xlsx else ImportFormat.KOBO_CSV
    if table.has_hashtags and not any(header and not header.startswith("#") for header in table.headers):
        return ImportFormat.HXL_XLSX if table.is_xlsx else ImportFormat.HXL_CSV
    return ImportFormat.XLSX if table.is_xlsx else ImportFormat.CSV


def _describe(kind: ImportKind, key: str) -> str:
    column = kind.columns_by_key[key]
    return _("“%(label)s” (HXL %(hxl)s)") % {"label": column.french_label(), "hxl": column.hxl}


def _missing(kind: ImportKind, found: ColumnMap) -> list[dict]:
    errors = []
    for column in kind.columns:
        if (
            column.required
            and column.key not in found.positions
            and not any(key in found.positions for key in column.required_unless)
        ):
            errors.append(
                {
                    "row": None,
                    "column": column.french_label(),
                    "message": _("Required column missing: %(column)s.")
                    % {"column": _describe(kind, column.key)},
                }
            )
    for group in kind.required_any:
        if not any(key in found.positions for key in group):
            listed = _(", or ").join(_describe(kind, key) for key in group)
            errors.append(
                {
                    "row": None,
                    "column": kind.columns_by_key[group[0]].french_label(),
                    "message": _("Required column missing: at least one of %(columns)s.")
                    % {"columns": listed},
                }
            )
    return errors


def _figure_families(kind: ImportKind) -> set[str]:
    return {
        pattern.tag
        for column in kind.columns
        if column.type in (COUNT, NUMBER)
        for pattern in column.patterns
        if pattern.tag in FIGURE_FAMILIES
    }


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = _SPACES.sub("", str(value))
    if not _NUMBER.fullmatch(text):
        return None
    return float(text.rstrip("%").replace(",", "."))


def _is_row_counter(numbers: list[float]) -> bool:
    """1, 2, 3... (or 41, 42, 43...): the rows numbered, no data of the incidents themselves."""
    return len(numbers) >= 3 and all(b - a == 1 for a, b in pairwise(numbers))


def _holds_numbers(table: Table, positions: list[int]) -> set[int]:
    """Those of the columns at `positions` whose non-empty cells (of the first rows) are mostly numbers."""
    numbers: dict[int, list[float]] = {index: [] for index in positions}
    filled = dict.fromkeys(positions, 0)
    for count, (_number_of_row, values) in enumerate(table.rows()):
        if count >= SAMPLE_ROWS:
            break
        for index in positions:
            value = values[index] if index < len(values) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            filled[index] += 1
            number = _number(value)
            if number is not None:
                numbers[index].append(number)
    return {
        index
        for index in positions
        if filled[index]
        and len(numbers[index]) >= NUMBERS_SHARE * filled[index]
        and not _is_row_counter(numbers[index])
    }


def data_columns(kind: ImportKind, table: Table, found: ColumnMap) -> list[dict]:
    """File errors for the unrecognised columns that look like data: tagged with an HXL hashtag of a family
    of the kind's figures (#affected+killed+total), or holding numbers. What a partner sent must never
    disappear: such a column is renamed or removed by the partner, never silently ignored. The others
    (comments, names: "Observations") stay a warning."""
    families = _figure_families(kind)
    tagged, untagged = [], []
    for index in found.ignored_positions:
        tag = table.hashtags[index] if index < len(table.hashtags) else None
        if tag is not None and tag.tag in families:
            tagged.append(index)
        else:
            untagged.append(index)
    numeric = _holds_numbers(table, untagged) if untagged else set()
    errors = []
    for index in found.ignored_positions:
        if index not in numeric and index not in tagged:
            continue
        tag = table.hashtags[index] if index < len(table.hashtags) else None
        header = found.headers[index]
        name = f"{header} ({tag.display_tag})" if tag is not None and header != tag.display_tag else header
        message = (
            _(
                "The column “%(column)s” is not recognised, yet its hashtag says it holds figures: "
                "they would be lost."
            )
            if index in tagged
            else _("The column “%(column)s” is not recognised, yet it holds numbers: they would be lost.")
        )
        errors.append(
            {
                "row": None,
                "column": header,
                "value": "",
                "message": (message % {"column": name})
                + " "
                + _(
                    "Rename it with the header or HXL hashtag of the template column that it holds (see "
                    "the template of this import), or remove it from the file if its figures are already "
                    "in other columns (a total, for instance)."
                ),
            }
        )
    return errors


def other_template(kind: ImportKind, table: Table, found: ColumnMap, kinds: list[ImportKind]) -> str | None:
    """A message when the file is evidently meant for another kind of import, else None."""
    marker = f"{table.properties.get('keywords', '')} {table.properties.get('subject', '')}"
    if TEMPLATE_MARKER in marker:
        code = marker.split(TEMPLATE_MARKER, 1)[1].split()[0].strip(";,")
        if code != kind.code:
            other = next((candidate for candidate in kinds if candidate.code == code), None)
            return _(
                "This file is the Sentinelle template “%(other)s”, not “%(kind)s”: choose the kind of "
                "import that matches the file, or download the right template."
            ) % {"other": other.label if other else code, "kind": kind.label}
    if not found.errors:
        return None
    for candidate in kinds:
        if candidate.code != kind.code and not match_columns(candidate, table).errors:
            return _(
                "This file looks like the template “%(other)s”, not “%(kind)s”: choose the kind of "
                "import that matches the file."
            ) % {"other": candidate.label, "kind": kind.label}
    if len(found.positions) <= 1:
        return _(
            "This file does not follow the template “%(kind)s”: none of its columns is recognised. "
            "Download the template from this page, or tag the columns with HXL hashtags."
        ) % {"kind": kind.label}
    return None
