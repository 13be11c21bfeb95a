"""Statistical disclosure control (design §6): the cell key method, for every figure that leaves the analysts.

Each record that person-level counts are made of carries a secret random key (core/record_keys.py). A
cell's key is the sum of its records' keys modulo KEY_RANGE, computed with the cell itself
(core/datasets.aggregate adds it to every group; totals add their cells' keys). What a reader gets is a
function of the cell's exact value and its key only, so the same records always give the same figure,
whatever the query, page, export or day that reached them, and no randomness is drawn at query time:

  - 0 reads 0 (no record);
  - 1 to threshold - 1 read "<5" (GBVIMS sharing protocol; SENTINELLE["DISCLOSURE_THRESHOLD"], default 5);
  - the threshold itself is published as it is, threshold + 1 moves by -1 to +2, and every larger value
    by -2 to +2 (NOISE_TABLE): a published cell of 5 or more is never hidden, never shown below the
    threshold, and never more than NOISE_BOUND from the exact count. Each row of the table has mean 0
    over the KEY_RANGE keys, so the perturbation is unbiased.

Subtracting one table from another therefore gives a small count plus noise that the reader cannot take
away: with no complementary suppression, totals are cells too (their key is the sum of their records'
keys), perturbed on their own and always shown. The value is mixed into the look-up (a golden-ratio
offset), so that one key does not give the same noise at every value. The method's known weakness is
averaging many differently filtered answers about the same records; readers may therefore vary only
calendar months, quarters or years (`reader_period`), one area and one code per filter of the
declared dimensions, never below the GBV floor, and their figures are throttled per user and day.

Figures that are already aggregates published by their sources (population figures, displacement events,
people in need: `Dataset.perturbed=False`) have no record keys: their cells carry `key=None` and are
shown exactly. Analysts (Perm.STATS_EXACT) see exact figures, marked where a reader sees something else:
"3*" where a reader reads "<5", "12†" where a reader gets another number. Keys never leave this module
and core/datasets.py: rows carry them under CELL_KEY, and every output strips them.

GBV figures are never broken down below the admin level the sharing protocol allows
(SENTINELLE["GBV_MIN_ADMIN_LEVEL"]): `coarsest_area_level` answers what a caller may group by, and
core/datasets.gbv_floor applies the level where every figure is computed.
"""

import calendar
import datetime
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext as _

from sentinelle.core import formatting
from sentinelle.core.record_keys import KEY_RANGE

TOTAL = "__total__"
# Where a row of core/datasets.aggregate keeps its cell key (stripped before any output).
CELL_KEY = "_key"
# The largest difference between a published cell and its exact value (documented to readers).
NOISE_BOUND = 2
# The perturbation table, per distance above the threshold (0, 1, 2, 3 and more): (noise, how many of the
# KEY_RANGE keys give it); the mean over all keys is exactly 0. A reader who knows the bounds pins a
# hidden cell when the cells of a subtraction sit at their bounds on the adverse side: the ±2 tails are
# therefore light, and 6 may reach 8, so that small published figures do not give tight lower bounds
# (measured with the attacker of reports/tests/test_disclosure_attacker.py; README, "disclosure control").
NOISE_TABLE: dict[int, tuple[tuple[int, int], ...]] = {
    # The threshold (5): published as it is (it may not go below, so only 0 keeps it unbiased).
    0: ((0, KEY_RANGE),),
    # Threshold + 1 (6): 5 half the time, 6, 7 or 8 otherwise (mean 0). Reaching 8 matters: a published 7
    # or 8 may then be a 6, so that it does not tell a reader "at least 7".
    1: ((-1, 2046), (0, 822), (1, 410), (2, 818)),
    # Threshold + 2 (7): -2 must be possible, so that a published 5 may be a 7 (a 6 published 5 is then
    # not pinned), but it is kept rare: a 7 published 5 is the top of what 5 can mean.
    2: ((-2, 1), (-1, 1352), (0, 1390), (1, 1352), (2, 1)),
    # Larger values: -1, 0 or +1 almost always, ±2 once in a hundred.
    3: ((-2, 41), (-1, 1352), (0, 1310), (1, 1352), (2, 41)),
}
_GOLDEN = 0.6180339887498949


class Audience(StrEnum):
    ANALYST = "analyst"
    PUBLIC = "public"


class Status(StrEnum):
    """How a reader's figure relates to the exact one."""

    EXACT = ""
    SMALL = "small"  # the reader reads "<5"
    PERTURBED = "perturbed"  # the reader gets another number (within NOISE_BOUND)


def threshold_setting() -> int:
    return int(settings.SENTINELLE.get("DISCLOSURE_THRESHOLD", 5))


def gbv_min_admin_level() -> int:
    return int(settings.SENTINELLE.get("GBV_MIN_ADMIN_LEVEL", 1))


def coarsest_area_level(requested_level: int, *, gbv: bool) -> int:
    """The admin level a breakdown may use: GBV figures stop at the protocol's level (1 = region)."""
    return min(requested_level, gbv_min_admin_level()) if gbv else requested_level


# --- The perturbation ---------------------------------------------------------------------------


def noise(value: int, key: int, *, threshold: int) -> int:
    """The perturbation of a published cell (value >= threshold) with this cell key."""
    if value <= threshold:
        return 0
    row = NOISE_TABLE[min(value - threshold, max(NOISE_TABLE))]
    # The value shifts the key's place in the row, so that one key gives unrelated noise at each value.
    index = (int(key) + int((value * _GOLDEN) % 1.0 * KEY_RANGE)) % KEY_RANGE
    for amount, count in row:
        if index < count:
            return amount
        index -= count
    raise AssertionError("NOISE_TABLE rows cover KEY_RANGE")  # pragma: no cover


def published(value: int, key: int | None, *, threshold: int) -> int | None:
    """What a reader gets for a cell: None for a small count (read "<5"), else the count, perturbed
    when the cell has a key (`key=None`: a source's own aggregate, published exactly)."""
    value = int(value or 0)
    if key is None or value <= 0:
        return value
    if value < threshold:
        return None
    return value + noise(value, key, threshold=threshold)


def secret_key(*parts) -> int:
    """A cell key for a figure that no records are counted for (an indicator value entered by hand):
    derived from its identity under the key ring's secret, so consistent yet not derivable from it."""
    import hashlib
    import hmac

    from sentinelle.core.crypto import get_keyring

    message = "\x00".join(["cell-key", *(str(part) for part in parts)]).encode()
    digest = hmac.new(get_keyring().hash_key, message, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % KEY_RANGE


def add_keys(*keys: int | None) -> int | None:
    """The key of a cell made of other cells' records (a total): the sum of their keys; None when one
    of them is not perturbed."""
    if any(key is None for key in keys):
        return None
    return sum(int(key) for key in keys) % KEY_RANGE


@dataclass(frozen=True)
class Cell:
    """An exact count and its cell key (None: not under the cell key method)."""

    value: int
    key: int | None = None

    def published(self, threshold: int) -> int | None:
        return published(self.value, self.key, threshold=threshold)

    def status(self, threshold: int) -> Status:
        shown = self.published(threshold)
        if shown is None:
            return Status.SMALL
        return Status.EXACT if shown == int(self.value or 0) else Status.PERTURBED


# Numbers are written by core/formatting.py (the one helper for numbers, money and dates); the names stay
# importable from here for the callers of disclosure control.
number = formatting.number
percent = formatting.percent


SMALL_MARK = "*"
PERTURBED_MARK = "†"


def show_cell(cell: Cell, *, threshold: int, audience: Audience) -> str:
    """The text of a cell: the reader's figure, or the exact one marked for analysts."""
    if audience == Audience.ANALYST:
        status = cell.status(threshold)
        mark = {Status.SMALL: SMALL_MARK, Status.PERTURBED: PERTURBED_MARK}.get(status, "")
        return f"{number(int(cell.value or 0))}{mark}"
    shown = cell.published(threshold)
    return f"<{threshold}" if shown is None else number(shown)


def reader_value(cell: Cell, *, threshold: int) -> int | str:
    """A reader's figure as data (JSON, CSV, XLSX): the number, or "<5"."""
    shown = cell.published(threshold)
    return f"<{threshold}" if shown is None else shown


# --- Notes ------------------------------------------------------------------------------------------


def reader_note(threshold: int | None = None) -> str:
    """What every protected table, chart and export tells its readers, once."""
    threshold = threshold_setting() if threshold is None else threshold
    return _(
        "Protected figures: counts from 1 to %(small)d read “<%(threshold)d”; the others may differ from "
        "the exact count by up to %(bound)d, so rows and totals may not add up exactly."
    ) % {"small": threshold - 1, "threshold": threshold, "bound": NOISE_BOUND}


def analyst_legend(threshold: int | None = None) -> str:
    """The analysts' legend of the marks (exact figures)."""
    threshold = threshold_setting() if threshold is None else threshold
    return _(
        "Exact figures, not for publication: %(small)s marks a count that readers see as “<%(threshold)d”; "
        "%(perturbed)s marks a count that readers see changed by up to %(bound)d."
    ) % {"small": SMALL_MARK, "perturbed": PERTURBED_MARK, "threshold": threshold, "bound": NOISE_BOUND}


def audience_note(audience: Audience, threshold: int | None = None) -> str:
    return analyst_legend(threshold) if audience == Audience.ANALYST else reader_note(threshold)


def disclosure_header(threshold: int | None = None, *, exact: bool = False) -> str:
    """The X-Sentinelle-Disclosure header of CSV answers (machine-readable, ASCII)."""
    threshold = threshold_setting() if threshold is None else threshold
    if exact:
        return "exact; marks=small,perturbed"
    return f"cell-key; small=<{threshold}; max-perturbation={NOISE_BOUND}"


# The per-user daily throttle of readers' figures (statistics API, dashboard pages and downloads):
# SENTINELLE["THROTTLES"]["stats.user"].
STATS_THROTTLE = "stats.user"


# --- Reader periods -------------------------------------------------------------------------------


def reader_period(
    date_from: datetime.date | None, date_to: datetime.date | None
) -> tuple[datetime.date | None, datetime.date | None]:
    """A reader's period: a calendar month, quarter or year, or whole years (analysts keep exact dates).

    The dates asked are widened to the smallest of those that holds them (whole months first): 3 to 17
    March is March, February to March the first quarter, March to May the year, November 2025 to
    February 2026 the years 2025 and 2026; an open start (or end) goes to the start (or end) of its
    year. Every period a reader can see is then a sum of blocks that never overlap partly, so no two of
    them differ by a few days or months: that is where subtracting noisy figures would close in on a
    small count."""
    if date_from is None and date_to is None:
        return None, None
    if date_from is None or date_to is None:
        start = datetime.date(date_from.year, 1, 1) if date_from else None
        end = datetime.date(date_to.year, 12, 31) if date_to else None
        return start, end
    start, end = min(date_from, date_to), max(date_from, date_to)
    if (start.year, start.month) == (end.year, end.month):
        return start.replace(day=1), _month_end(end)
    quarter = (start.month - 1) // 3
    if start.year == end.year and quarter == (end.month - 1) // 3:
        first = datetime.date(start.year, 3 * quarter + 1, 1)
        return first, _month_end(datetime.date(start.year, 3 * quarter + 3, 1))
    return datetime.date(start.year, 1, 1), datetime.date(end.year, 12, 31)


def _month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


# --- Tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectedTable:
    """Cells, row totals, column totals and the grand total (each a Cell), shown per audience."""

    cells: dict[tuple[Hashable, Hashable], Cell]
    rows: list
    columns: list
    threshold: int
    audience: Audience

    def cell(self, row, column) -> Cell:
        return self.cells.get((row, column), Cell(0, 0))

    def row_total(self, row) -> Cell:
        return self.cells[(row, TOTAL)]

    def column_total(self, column) -> Cell:
        return self.cells[(TOTAL, column)]

    @property
    def grand_total(self) -> Cell:
        return self.cells[(TOTAL, TOTAL)]

    def show(self, cell: Cell) -> str:
        return show_cell(cell, threshold=self.threshold, audience=self.audience)


def protect(
    counts: Mapping[tuple[Hashable, Hashable], int],
    *,
    keys: Mapping[tuple[Hashable, Hashable], int | None] | None = None,
    rows: list | None = None,
    columns: list | None = None,
    audience: Audience = Audience.PUBLIC,
    threshold: int | None = None,
) -> ProtectedTable:
    """A two-way table of counts (one column for a list) with its totals, each a Cell.

    `counts` maps (row, column) to an exact count, `keys` to its cell key; without `keys` the table is
    exact (a source's own aggregates). Missing cells are zeros. Totals are added under TOTAL: their
    values are the sums of the exact cells and their keys the sums of the cells' keys.
    """
    threshold = threshold_setting() if threshold is None else threshold
    rows = list(rows) if rows is not None else _ordered({row for row, _ in counts})
    columns = list(columns) if columns is not None else _ordered({column for _, column in counts})
    perturbed = keys is not None

    def key_of(position) -> int | None:
        if not perturbed:
            return None
        key = keys.get(position)
        return 0 if key is None else int(key) % KEY_RANGE

    cells: dict[tuple, Cell] = {}
    for row in rows:
        for column in columns:
            cells[(row, column)] = Cell(int(counts.get((row, column), 0) or 0), key_of((row, column)))
        inner = [cells[(row, column)] for column in columns]
        cells[(row, TOTAL)] = _sum(inner)
    for column in columns:
        cells[(TOTAL, column)] = _sum([cells[(row, column)] for row in rows])
    cells[(TOTAL, TOTAL)] = _sum([cells[(row, TOTAL)] for row in rows])
    if not rows:
        cells[(TOTAL, TOTAL)] = Cell(0, 0 if perturbed else None)
    return ProtectedTable(cells=cells, rows=rows, columns=columns, threshold=threshold, audience=audience)


def _sum(cells: list[Cell]) -> Cell:
    if not cells:
        return Cell(0, 0)
    return Cell(sum(cell.value for cell in cells), add_keys(*(cell.key for cell in cells)))


def _ordered(keys: set) -> list:
    return sorted(keys, key=lambda key: (key is None, str(key)))
