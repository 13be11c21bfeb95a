"""The mapping step of an import: partners' own words mapped to codes and P-codes, remembered.

A cell that is not in its column's code list ("FDS" for the alleged perpetrator), or a place name that no
area of its level has ("Mopit" for the cercle), is not an error of its row: the validation lists each such
value once, with the rows that hold it and suggestions (synonyms.py), and the job waits in the status
"mapping". The user maps each value to a code or a P-code; the choice is a ValueMapping of the job's
organisation, source and kind, and every later import of them applies it before reading the cells, so
the row reads exactly as if the file held the code.

    table = load_value_map(organisation=org, source="Kobo AMSS", kind="incidents")
    values = ValueMap(kind, table)
    raw = values.apply(raw)          # in the runner, before the row's cells are parsed

A mapping applies only to values its list does not know: a code or a label always means itself.
"""

import hashlib
from dataclasses import dataclass, field

from sentinelle.core.text import normalise_text
from sentinelle.ingest import values as cells
from sentinelle.ingest.kinds.base import CODES, ImportKind
from sentinelle.ingest.models import ValueMapping

# Distinct values listed per column; beyond, the column is most probably not what it claims to be.
MAX_UNMAPPED_PER_COLUMN = 50


def value_key(value) -> str:
    return normalise_text(cells.shown(value))


def entry_id(column: str, key: str) -> str:
    """A stable identifier of a (column, value) pair for the mapping form: the index in the list may
    change when the job is validated again; this does not, and it does not show the value in the page's
    field names."""
    return hashlib.sha256(f"{column}\x00{key}".encode()).hexdigest()[:12]


def load_value_map(*, organisation, source: str, kind: str) -> dict[str, dict[str, str]]:
    """{column key: {normalised value: code}} of the organisation's mappings for a source and kind.

    Only the job's own organisation: another organisation's choices are never applied (nor shown)."""
    table: dict[str, dict[str, str]] = {}
    mappings = ValueMapping.objects.filter(
        organisation=organisation,
        source_key=ValueMapping.source_key_of(source),
        kind=kind,
        is_archived=False,
    ).only("column", "value", "code")
    for mapping in mappings:
        table.setdefault(mapping.column, {})[value_key(mapping.value)] = mapping.code
    return table


@dataclass
class Used:
    """A remembered mapping that the file used: shown in the preview ("mapped from your earlier choices")."""

    column: str
    value: str
    code: str
    rows: int = 0


class ValueMap:
    """A job's mappings, applied to each row's non-empty cells before they are parsed."""

    def __init__(self, kind: ImportKind, table: dict[str, dict[str, str]]):
        self.kind = kind
        self.table = {
            key: mapped
            for key, mapped in table.items()
            if mapped and key in kind.columns_by_key and kind.columns_by_key[key].mappable
        }
        self.used: dict[tuple[str, str], Used] = {}
        self._cache: dict[tuple[str, object], tuple[object, list[str]]] = {}

    def __bool__(self) -> bool:
        return bool(self.table)

    def applied(self) -> dict[str, dict[str, str]]:
        """The mappings the pass used, as the job keeps them for its commit."""
        found: dict[str, dict[str, str]] = {}
        for (column, key), used in self.used.items():
            found.setdefault(column, {})[key] = used.code
        return found

    def apply(self, raw: dict) -> dict:
        """The row's cells with the mapped values replaced by their codes (the same dict if none)."""
        if not self.table:
            return raw
        changed = None
        for key, mapped in self.table.items():
            if key not in raw:
                continue
            value = raw[key]
            found = self._cache.get((key, value))
            if found is None:
                found = self._cache[(key, value)] = self._replace(key, value, mapped)
            replacement, keys = found
            if not keys:
                continue
            for used_key in keys:
                self.used[(key, used_key)].rows += 1
            if changed is None:
                changed = dict(raw)
            changed[key] = replacement
        return raw if changed is None else changed

    def _replace(self, key: str, value, mapped: dict[str, str]) -> tuple[object, list[str]]:
        """(the cell to read, the normalised values mapped); ([], ...) when nothing applies."""
        column = self.kind.columns_by_key[key]
        codes = column.codes
        if codes is None:  # place names: the P-code replaces the name
            normalised = value_key(value)
            code = mapped.get(normalised)
            if code is None:
                return value, []
            self._note(key, normalised, value, code)
            return code, [normalised]
        if column.type != CODES:
            normalised = value_key(value)
            if codes.get(value) is not None or normalised not in mapped:
                return value, []
            self._note(key, normalised, value, mapped[normalised])
            return mapped[normalised], [normalised]

        def known(part):
            return codes.get(part) is not None or value_key(part) in mapped

        parts = codes.parts(cells.shown(value), known)
        keys, out = [], []
        for part in parts:
            normalised = value_key(part)
            if codes.get(part) is None and normalised in mapped:
                self._note(key, normalised, part, mapped[normalised])
                keys.append(normalised)
                out.append(mapped[normalised])
            else:
                out.append(part)
        return ("; ".join(out), keys) if keys else (value, [])

    def _note(self, column: str, key: str, value, code: str) -> None:
        self.used.setdefault((column, key), Used(column=column, value=cells.shown(value), code=code))


@dataclass
class Unknown:
    """One value waiting for a mapping, with the rows that hold it."""

    column: str
    value: str
    rows: int = 0
    first_row: int = 0


@dataclass
class Unknowns:
    """The values of a pass that wait for a mapping, by (column, normalised value)."""

    found: dict[tuple[str, str], Unknown] = field(default_factory=dict)
    # Rows that wait for a mapping (and have no error of their own).
    pending_rows: int = 0
    # Distinct values beyond MAX_UNMAPPED_PER_COLUMN, by column: counted, not listed.
    overflow: dict[str, set] = field(default_factory=dict)
    _per_column: dict[str, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.found) or bool(self.overflow)

    def add(self, column: str, value, number: int) -> None:
        """Row `number` holds `value` in `column` (called once per row and value)."""
        key = value_key(value)
        found = self.found.get((column, key))
        if found is None:
            count = self._per_column.get(column, 0)
            if count >= MAX_UNMAPPED_PER_COLUMN:
                self.overflow.setdefault(column, set()).add(key)
                return
            self._per_column[column] = count + 1
            found = self.found[(column, key)] = Unknown(column, cells.shown(value), first_row=number)
        found.rows += 1

    def entries(self, *, kind: ImportKind, header, places) -> list[dict]:
        """The job's `unmapped` list: each value with its column, rows and suggestions, by column then by
        number of rows. `header(key)` names the column as the file does; `places` is a PlaceIndex (or
        None when the file has no place column)."""
        from sentinelle.ingest.synonyms import suggest_codes

        entries = []
        for (key, normalised), unknown in self.found.items():
            column = kind.columns_by_key[key]
            if column.codes is not None:
                suggestions = [[code, ""] for code in suggest_codes(column.codes, unknown.value)]
                level = None
            else:
                level = column.place_level
                areas = places.suggest(unknown.value, level) if places is not None else []
                suggestions = [[area.pcode, places.describe(area)] for area in areas]
            entries.append(
                {
                    "id": entry_id(key, normalised),
                    "column": key,
                    "header": header(key),
                    "value": unknown.value,
                    "rows": unknown.rows,
                    "first_row": unknown.first_row,
                    "place_level": level,
                    "suggestions": suggestions,
                }
            )
        order = {column.key: index for index, column in enumerate(kind.columns)}
        entries.sort(key=lambda entry: (order.get(entry["column"], 0), -entry["rows"], entry["value"]))
        return entries
