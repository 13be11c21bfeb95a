"""An automated differencing attacker with a reader's access: the core of test_disclosure_attacker.

The attacker knows what any reader knows: the published figures it asked for, the code lists and the
area tree (public), the GBV floor and the documented disclosure rule (what "<5" means, and the bounds of
the perturbation for each true value: the table of bounds, not the keys). It never sees a key.

Every published cell is a set of records, named by what selects them: the dataset and measure, the
area, the months, the codes of the dimensions grouped or filtered, and whether the GBV floor left GBV
records out. The same set reached by two paths (an API table and a dashboard download, two queries) is
one unknown: each observation narrows it. Then the attacker writes every subtraction it knows as a sum:

  - a total is the sum of its cells along a dimension that splits records (sex, age group, case type,
    risk level, organisation...), and a set's total is the sum of its other rows (total minus siblings,
    filter complements: "all types minus the other types");
  - an area is the sum of its children (parent area minus its other children);
  - a period is the sum of its months, and of its two parts at any month (overlapping periods: Jan-Mar
    minus Feb-Mar);
  - a set is the sum of its records without GBV and its GBV records (what the floor withheld);

and tightens every unknown's interval from every sum until nothing moves (bounds propagation: what
each subtraction allows, chained through all of them). A hidden cell is recovered when its feasible set
holds exactly one value from 1 to threshold - 1; a GBV figure below the region when it is pinned to one
value of at least 1. The propagation is sound: the true value always stays in its interval (the test
checks it against the exact figures), so a recovery is a real disclosure, not a guess.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

INF = math.inf
GBV_WITHHELD = "__gbv_withheld__"
# A dimension's "not given" code (None in the answers): a value like any other here.
NOT_GIVEN = "__none__"
AREA = "area"
MONTHS = "months"


@dataclass(frozen=True)
class Bounds:
    """What the documentation tells a reader about published figures."""

    threshold: int
    # The perturbations a true value may get: (lowest, highest), e.g. (-2, 2).
    noise_range: Callable[[int], tuple[int, int]]
    # The values a hidden cell may hold.
    hidden: tuple[float, float]

    def preimage(self, published: int) -> tuple[float, float]:
        """The true values that can give this published figure."""
        if published == 0:
            return (0, 0)
        found = []
        for value in range(max(self.threshold, published - 4), published + 5):
            low, high = self.noise_range(value)
            if low <= published - value <= high:
                found.append(value)
        return (min(found), max(found))


def cell_key_bounds(threshold: int = 5, table: dict | None = None) -> Bounds:
    """The documented rule of the cell key method: core/disclosure.NOISE_TABLE's range for each value."""
    from sentinelle.core.disclosure import NOISE_TABLE

    table = NOISE_TABLE if table is None else table

    def noise_range(value: int) -> tuple[int, int]:
        if value <= threshold:
            return (0, 0)
        amounts = [amount for amount, count in table[min(value - threshold, max(table))] if count]
        return (min(amounts), max(amounts))

    return Bounds(threshold, noise_range, (1, threshold - 1))


def suppression_bounds(threshold: int = 5) -> Bounds:
    """The former rule: exact figures; a hidden cell is at least 1 (complementary cells too: any size)."""
    return Bounds(threshold, lambda value: (0, 0), (1, INF))


Var = tuple  # (dataset, measure, frozenset of (name, value)); a period is (first day, last day)


def months_within(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """The calendar months of a period that starts and ends on month boundaries."""
    months = []
    day = first
    while day <= last:
        end = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
        months.append((day, min(end, last)))
        day = end + datetime.timedelta(days=1)
    return months


def var(dataset: str, measure: str, **constraints) -> Var:
    return (
        dataset,
        measure,
        frozenset((name, value) for name, value in constraints.items() if value is not None),
    )


def with_(variable: Var, **changes) -> Var:
    dataset, measure, constraints = variable
    values = dict(constraints)
    for name, value in changes.items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return (dataset, measure, frozenset(values.items()))


@dataclass
class Attacker:
    bounds: Bounds
    # The area tree: P-code (None: the country) -> child P-codes; the level of each P-code.
    children: dict
    levels: dict
    # Dataset -> {dimension: codes} of the dimensions that split records (one code per record).
    partitions: dict
    # Datasets holding GBV records among others (the floor leaves them out below the region).
    mixed_gbv: set
    gbv_level: int = 1
    intervals: dict = field(default_factory=dict)
    hidden: set = field(default_factory=set)
    observations: int = 0
    contradictions: list = field(default_factory=list)

    # --- What was published -----------------------------------------------------------------------

    def observe(self, variable: Var, published) -> None:
        """A published figure of a set: a number, "<5" (or "x": hidden), or 0."""
        self.observations += 1
        if published is None or (isinstance(published, str) and not published.strip().lstrip("-").isdigit()):
            low, high = self.bounds.hidden
            self.hidden.add(variable)
        else:
            low, high = self.bounds.preimage(int(str(published).replace("\u202f", "").strip()))
        self._narrow(variable, low, high)

    def _narrow(self, variable: Var, low, high) -> bool:
        old_low, old_high = self.intervals.get(variable, (0, INF))
        new_low, new_high = max(old_low, low), min(old_high, high)
        if new_low > new_high:
            self.contradictions.append((variable, (old_low, old_high), (low, high)))
            return False
        if (new_low, new_high) != (old_low, old_high):
            self.intervals[variable] = (new_low, new_high)
            return True
        self.intervals.setdefault(variable, (new_low, new_high))
        return False

    # --- What the attacker knows adds up -----------------------------------------------------------

    def relations(self) -> list[tuple[Var, list[Var]]]:
        """Every "set = sum of its parts" the attacker knows, over the sets it has seen."""
        found = []
        for variable in list(self.intervals):
            if variable[0] == "gbv_part":
                continue
            dataset, _measure, constraints = variable
            values = dict(constraints)
            withheld = values.get(GBV_WITHHELD, False)
            # An area is the sum of its children (with or without GBV records alike).
            area = values.get(AREA)
            kids = self.children.get(area, [])
            if kids:
                found.append((variable, [with_(variable, **{AREA: kid}) for kid in kids]))
            # A period is the sum of its months, and of its two parts at any month.
            period = values.get(MONTHS)
            if period:
                months = months_within(*period)
                if len(months) > 1:
                    found.append((variable, [with_(variable, **{MONTHS: month}) for month in months]))
                    for split in range(1, len(months)):
                        head = (months[0][0], months[split - 1][1])
                        tail = (months[split][0], months[-1][1])
                        found.append(
                            (variable, [with_(variable, **{MONTHS: head}), with_(variable, **{MONTHS: tail})])
                        )
            # A set is the sum of its cells along a dimension that splits records.
            for dimension, codes in self.partitions.get(dataset, {}).items():
                if dimension in values:
                    continue
                parts = [with_(variable, **{dimension: code}) for code in codes]
                if any(part in self.intervals for part in parts):
                    found.append((variable, parts))
            # A set is its records without GBV plus its GBV records (from whichever side was seen).
            if dataset in self.mixed_gbv:
                full = with_(variable, **{GBV_WITHHELD: None}) if withheld else variable
                found.append((full, [with_(full, **{GBV_WITHHELD: True}), ("gbv_part", full)]))
        return found

    def differencing(self, *, visible_only: bool = True) -> dict[Var, tuple]:
        """The subtractions one at a time: for each hidden cell, every sum it is part of whose other
        members were all published as numbers (`visible_only`; else "<5" members count as 1 to 4) gives
        it an interval (the sum's published bounds minus the others'); the intervals of all those
        subtractions are intersected. No chaining through derived figures."""
        seen = dict(self.intervals)
        found: dict[Var, tuple] = {variable: seen[variable] for variable in self.hidden}
        for total, parts in self.relations():
            members = [total, *parts]
            if not all(member in seen for member in members):
                continue
            if visible_only and sum(1 for member in members if member in self.hidden) != 1:
                continue
            for index, member in enumerate(members):
                if member not in self.hidden:
                    continue
                others = [m for m in members if m != member]
                if index == 0:  # the total: the sum of its parts
                    low = sum(seen[m][0] for m in others)
                    high = sum(seen[m][1] for m in others)
                else:  # a part: the total minus the other parts
                    rest = [m for m in parts if m != member]
                    low = seen[total][0] - sum(seen[m][1] for m in rest)
                    high = seen[total][1] - sum(seen[m][0] for m in rest)
                old_low, old_high = found[member]
                found[member] = (max(old_low, low), min(old_high, high))
        return found

    def recovered_by_differencing(self, *, visible_only: bool = True) -> dict[Var, int]:
        return self._pinned(self.differencing(visible_only=visible_only))

    def _pinned(self, intervals: dict) -> dict[Var, int]:
        out = {}
        small_high = self.bounds.threshold - 1
        for variable in self.hidden:
            low, high = intervals.get(variable, (0, INF))
            feasible = [value for value in range(1, small_high + 1) if low <= value <= high]
            if len(feasible) == 1:
                out[variable] = feasible[0]
        return out

    def propagate(self, rounds: int = 60) -> None:
        relations = self.relations()
        for _round in range(rounds):
            moved = False
            for total, parts in relations:
                moved |= self._tighten(total, parts)
            if not moved:
                return

    def _get(self, variable) -> tuple:
        return self.intervals.get(variable, (0, INF))

    def _tighten(self, total: Var, parts: list[Var]) -> bool:
        lows = [self._get(part)[0] for part in parts]
        highs = [self._get(part)[1] for part in parts]
        finite_high = sum(high for high in highs if high != INF)
        unbounded = sum(1 for high in highs if high == INF)
        low_sum = sum(lows)
        moved = self._narrow(total, low_sum, INF if unbounded else finite_high)
        total_low, total_high = self._get(total)
        for index, part in enumerate(parts):
            # The others' highest sum: infinite when another part is unbounded.
            others_unbounded = unbounded - (1 if highs[index] == INF else 0)
            others_high = (
                INF if others_unbounded else finite_high - (highs[index] if highs[index] != INF else 0)
            )
            low = total_low - others_high if others_high != INF else 0
            high = total_high - (low_sum - lows[index])
            moved |= self._narrow(part, max(low, 0), high)
        return moved

    # --- What it learnt ----------------------------------------------------------------------------

    def recovered(self) -> dict[Var, int]:
        """Hidden cells whose feasible set holds exactly one value from 1 to threshold - 1."""
        return self._pinned(self.intervals)

    def gbv_recovered(self) -> dict[Var, int]:
        """GBV figures below the region pinned to one value of at least 1."""
        out = {}
        for variable, (low, high) in self.intervals.items():
            if variable[0] != "gbv_part":
                continue
            area = dict(variable[1][2]).get(AREA)
            if area is not None and self.levels.get(area, 0) > self.gbv_level and low == high and low >= 1:
                out[variable] = int(low)
        return out


def group_counts(variables) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for variable in variables:
        counts[variable[0] if variable[0] != "gbv_part" else f"gbv:{variable[1][0]}"] += 1
    return dict(counts)
