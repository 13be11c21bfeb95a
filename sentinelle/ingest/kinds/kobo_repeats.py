"""The repeat groups of a Kobo/ODK XLSX export of Sentinelle's incident form.

Kobo writes each repeat group on a sheet of its own ("victims", "casualties", "violations" and, nested in
a violation, "violation_victims"), each row pointing to its parent row by `_parent_index` (the parent's
`_index`). Question names are those of the form (ingest/openrosa/surveys.py); a header may carry its
group path ("victims/victim_sex"), which is ignored. A CSV export cannot carry repeats: the kind says so
when the form announced victims that the file does not have.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from django.utils.translation import gettext as _

from sentinelle.ingest import values as cells
from sentinelle.monitoring.inputs import CasualtyLine, VictimCell, ViolationLine, ViolationVictimCell
from sentinelle.monitoring.models import AgeGroup, Outcome, Sex, Verification, ViolationType
from sentinelle.monitoring.models import gbv_codes as g
from sentinelle.monitoring.models.mrm_eo_codes import CasualtyOutcome, PerpetratorParty

SHEETS = ("victims", "casualties", "violations", "violation_victims")


@cache
def _codes(choices) -> cells.CodeList:
    return cells.CodeList(choices)


def _key(value) -> str:
    """An _index as text: "3", 3 and 3.0 are the same row."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() if value is not None else ""


@dataclass
class Repeats:
    """Repeat rows grouped by their parent's _index, one dict per sheet."""

    groups: dict[str, dict[str, list[dict]]] = field(default_factory=dict)

    def __bool__(self):
        return bool(self.groups)

    def of(self, sheet: str, parent) -> list[dict]:
        return self.groups.get(sheet, {}).get(_key(parent), [])


def load_repeats(table) -> Repeats:
    repeats = Repeats()
    if table is None or not table.is_kobo:
        return repeats
    for name in SHEETS:
        reader = table.sheets.get(name)
        if reader is None:
            continue
        grouped = defaultdict(list)
        for entry in reader():
            entry = {key.rsplit("/", 1)[-1].lower(): value for key, value in entry.items()}
            grouped[_key(entry.get("_parent_index"))].append(entry)
        repeats.groups[name] = grouped
    return repeats


class RepeatReader:
    """Typed values of one repeat row; problems go to the incident row, naming the sheet."""

    def __init__(self, row, sheet: str, entry: dict):
        self.row, self.sheet, self.entry = row, sheet, entry

    def _fail(self, error: cells.CellError) -> None:
        self.row.error(
            "kobo_index",
            _("Sheet “%(sheet)s”: %(message)s") % {"sheet": self.sheet, "message": error.message},
        )

    def code(self, name: str, choices, default: str = "") -> str:
        value = self.entry.get(name)
        if cells.is_empty(value):
            return default
        try:
            return _codes(choices).parse(value)
        except cells.CellError as error:
            self._fail(error)
            return default

    def count(self, name: str) -> int | None:
        value = self.entry.get(name)
        if cells.is_empty(value):
            return None
        try:
            return cells.parse_count(value)
        except cells.CellError as error:
            self._fail(error)
            return None

    def yes(self, name: str, default: bool) -> bool:
        value = self.entry.get(name)
        if cells.is_empty(value):
            return default
        try:
            return cells.parse_bool(value)
        except cells.CellError as error:
            self._fail(error)
            return default


def victims_of(row, repeats: Repeats, index) -> list[VictimCell]:
    found = []
    for entry in repeats.of("victims", index):
        read = RepeatReader(row, "victims", entry)
        count = read.count("victim_count")
        if count:
            found.append(
                VictimCell(
                    outcome=read.code("victim_outcome", Outcome),
                    sex=read.code("victim_sex", Sex, "unknown"),
                    age_group=read.code("victim_age_group", AgeGroup, "unknown"),
                    count=count,
                )
            )
    return found


def casualties_of(row, repeats: Repeats, index) -> list[CasualtyLine]:
    found = []
    for entry in repeats.of("casualties", index):
        read = RepeatReader(row, "casualties", entry)
        found.append(
            CasualtyLine(
                sex=read.code("casualty_sex", Sex, "unknown"),
                outcome=read.code("casualty_outcome", CasualtyOutcome),
                age=read.count("casualty_age"),
                civilian=read.yes("casualty_civilian", True),
                displacement_status=read.code("casualty_displacement_status", g.DisplacementStatus),
            )
        )
    return found


def violations_of(row, repeats: Repeats, index) -> list[ViolationLine]:
    found = []
    for entry in repeats.of("violations", index):
        read = RepeatReader(row, "violations", entry)
        victims = []
        for child in repeats.of("violation_victims", entry.get("_index")):
            child_read = RepeatReader(row, "violation_victims", child)
            count = child_read.count("child_count")
            if count:
                victims.append(
                    ViolationVictimCell(
                        sex=child_read.code("child_sex", Sex, "unknown"),
                        age_group=child_read.code("child_age_group", AgeGroup, "unknown"),
                        count=count,
                    )
                )
        found.append(
            ViolationLine(
                type=read.code("violation_type", ViolationType),
                perpetrator_party=read.code("perpetrator_party", PerpetratorParty, "unknown"),
                verification=read.code("verification", Verification, "pending"),
                facility=cells.parse_text(entry.get("facility")),
                victims=victims,
            )
        )
    return found
