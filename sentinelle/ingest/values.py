"""Cell parsers shared by every kind of import: each returns a Python value or raises CellError.

The messages say what was found and what is expected, in the user's language; the runner adds the row
and the column. Values come from openpyxl (str, int, float, datetime, bool) or from CSV (str).
"""

import datetime
import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from sentinelle.core.text import normalise_text

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?: [\d:]+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# How many admitted values a "not in the list" message quotes before "…".
MAX_LISTED = 12

YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
NO = {"non", "n", "no", "0", "false", "faux"}


class CellError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnknownCode(CellError):
    """A cell whose value (or some of its values) is not in the column's code list: a partner's own word,
    which the import's mapping step can map to a code instead of refusing the row."""

    def __init__(self, message: str, values: list[str]):
        super().__init__(message)
        self.values = values


def is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value) -> str:
    """A cell as the user typed it, for messages (dates as dd/mm/yyyy, 2.0 as 2)."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_text(value) -> str:
    return "" if is_empty(value) else shown(value)


def parse_date(value) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = shown(value)
    match = _ISO_DATE.match(text)
    try:
        if match:
            year, month, day = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
        match = _DMY_DATE.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
    except ValueError:
        # 31/02/2024: the shape is right but the day does not exist.
        raise CellError(_("“%(value)s” is not a date that exists.") % {"value": text}) from None
    raise CellError(_("“%(value)s” is not a date: write it as 2024-03-31 or 31/03/2024.") % {"value": text})


def parse_count(value) -> int:
    """A number of people or households: a whole number, 0 or more."""
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not a whole number.") % {"value": shown(value)})
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("“%(value)s” is not a whole number.") % {"value": shown(value)})
        number = int(value)
    else:
        text = _SPACES.sub("", str(value))
        if text.endswith((".0", ",0")):
            text = text[:-2]
        if not re.fullmatch(r"[+-]?\d+", text):
            raise CellError(_("“%(value)s” is not a whole number.") % {"value": shown(value)})
        number = int(text)
    if number < 0:
        raise CellError(
            _("“%(value)s” is negative: a number of people cannot be below 0.") % {"value": shown(value)}
        )
    return number


def parse_number(value) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _SPACES.sub("", str(value)).replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise CellError(_("“%(value)s” is not a number.") % {"value": shown(value)}) from None


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    key = normalise_text(shown(value))
    if key in YES:
        return True
    if key in NO:
        return False
    raise CellError(_("“%(value)s” is not yes or no (oui / non).") % {"value": shown(value)})


class CodeList:
    """A code list read by code, French label, English label or alias, all normalised."""

    def __init__(self, choices, *, aliases: dict[str, str] | None = None, name=""):
        from django.utils import translation

        self.choices = choices
        self.name = name
        self.codes = [str(code) for code in choices.values]
        self.lookup: dict[str, str] = {}
        for code, label in zip(choices.values, choices.labels, strict=True):
            self.lookup[normalise_text(str(code))] = str(code)
            for language in ("fr", "en"):
                with translation.override(language):
                    self.lookup.setdefault(normalise_text(str(label)), str(code))
        for alias, code in (aliases or {}).items():
            self.lookup.setdefault(normalise_text(alias), code)

    def get(self, value) -> str | None:
        return self.lookup.get(normalise_text(shown(value)))

    def _unknown(self, values: list[str]) -> UnknownCode:
        listed = ", ".join(self.codes[:MAX_LISTED]) + (", …" if len(self.codes) > MAX_LISTED else "")
        return UnknownCode(
            _("“%(value)s” is not in the list; admitted codes: %(codes)s (see the Instructions sheet).")
            % {"value": "; ".join(values), "codes": listed},
            values,
        )

    def parse(self, value) -> str:
        code = self.get(value)
        if code is None:
            raise self._unknown([shown(value)])
        return code

    def parts(self, text: str, known=None) -> list[str]:
        """The values of a cell that may hold several: the whole cell when it is one value, else its
        parts split on ; then | then , (a label may hold commas: "Propriété (vol, extorsion); Milice"),
        or on spaces when every word is a code (Kobo's select_multiple writes "life integrity").
        `known(part)` says whether a part is a value (by default: in the list)."""
        known = known or (lambda part: self.get(part) is not None)
        text = text.strip()
        if known(text):
            return [text]
        for separator in (";", "|", ","):
            if separator in text:
                found = []
                for piece in text.split(separator):
                    if piece.strip():
                        found.extend(self.parts(piece, known))
                return found
        words = text.split()
        if len(words) > 1 and all(known(word) for word in words):
            return words
        return [text] if text else []

    def parse_many(self, value) -> list[str]:
        """Several codes in one cell (see `parts`); UnknownCode names every part not in the list."""
        parts = self.parts(shown(value))
        codes = [self.get(part) for part in parts]
        unknown = [part for part, code in zip(parts, codes, strict=True) if code is None]
        if unknown:
            raise self._unknown(list(dict.fromkeys(unknown)))
        return list(dict.fromkeys(codes))

    def describe(self) -> Iterable[tuple[str, str]]:
        return [(str(code), str(label)) for code, label in self.choices.choices]
