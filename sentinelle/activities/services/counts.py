"""People counted with an unknown part: a total, and the part of it known by sex (and age).

Partners often know how many people an activity reached without knowing how many were women (a PROSMED
workshop for 140 students of the ENA), or know the women but not the men ("26 participants, 5 women").
Every channel that records people (the activity form, the 4W import) gives its totals next to the cells it
knows, and this one rule turns them into cells:

  - the cells given are kept as they are;
  - a total of one sex (all ages) beyond that sex's cells is that sex, age unknown;
  - the total beyond everything known is sex unknown, age unknown;
  - a split larger than its total is an error: nothing is invented, nothing is dropped.

Training participants have no age: a category's total beyond its women and men is that category, sex
unknown. Totals are an input only: what is stored are the cells, the unknown part among them, so that a
figure by sex shows "sex unknown" rather than spreading people over women and men.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils.translation import gettext as _

from sentinelle.core.codes import AgeGroup, Sex

KNOWN_SEXES = (Sex.FEMALE, Sex.MALE)


@dataclass(frozen=True)
class BeneficiaryCell:
    sex: str
    age_group: str
    population_status: str
    count: int


@dataclass(frozen=True)
class ParticipantCell:
    category: str
    sex: str
    count: int


@dataclass(frozen=True)
class ReachedTotal:
    """People reached of one population group: everyone (sex "") or one sex of every age."""

    population_status: str
    count: int
    sex: str = ""


@dataclass(frozen=True)
class ParticipantTotal:
    """Participants of one category, women, men and sex unknown together."""

    category: str
    count: int


def reached_total_key(total: ReachedTotal) -> str:
    """The error key of a total: "reached_total.<status>" or "reached_<sex>_total.<status>"."""
    name = f"reached_{total.sex}_total" if total.sex else "reached_total"
    return f"{name}.{total.population_status}"


def _merge(cells: dict, key, count: int) -> None:
    if count:
        cells[key] = cells.get(key, 0) + count


def complete_beneficiaries(
    cells: list[BeneficiaryCell], totals: list[ReachedTotal]
) -> tuple[list[BeneficiaryCell], dict[str, list[str]]]:
    """The cells with the unknown part of each total added, and the errors by key (reached_total_key)."""
    errors: dict[str, list[str]] = defaultdict(list)
    merged: dict[tuple[str, str, str], int] = {}
    for cell in cells:
        _merge(merged, (cell.sex, cell.age_group, cell.population_status), cell.count)
    seen = set()
    # Totals of one sex first: their rest is part of what the total of everyone knows.
    for total in sorted(totals, key=lambda t: t.sex == ""):
        key = reached_total_key(total)
        if (total.sex, total.population_status) in seen:
            errors[key].append(_("The same total of people is given twice."))
            continue
        seen.add((total.sex, total.population_status))
        if total.sex not in ("", *KNOWN_SEXES):
            errors[key].append(_("Unknown sex, age group or population status."))
            continue
        if total.count < 0:
            errors[key].append(_("A number of people cannot be negative."))
            continue
        known = sum(
            count
            for (sex, _age, status), count in merged.items()
            if status == total.population_status and (not total.sex or sex == total.sex)
        )
        if known > total.count:
            errors[key].append(_split_message(total, known))
            continue
        sex = total.sex or Sex.UNKNOWN
        _merge(merged, (sex, AgeGroup.UNKNOWN, total.population_status), total.count - known)
    completed = [
        BeneficiaryCell(sex, age, status, count) for (sex, age, status), count in merged.items() if count
    ]
    return completed, dict(errors)


def _split_message(total: ReachedTotal, known: int) -> str:
    values = {"known": known, "total": total.count}
    if total.sex == Sex.FEMALE:
        return (
            _("The women and girls given by age (%(known)s) are more than their total (%(total)s).") % values
        )
    if total.sex == Sex.MALE:
        return _("The men and boys given by age (%(known)s) are more than their total (%(total)s).") % values
    return (
        _("The people reached given by sex and age (%(known)s) are more than the total (%(total)s).") % values
    )


def complete_participants(
    cells: list[ParticipantCell], totals: list[ParticipantTotal]
) -> tuple[list[ParticipantCell], dict[str, list[str]]]:
    """The cells with each category's unknown part added, and the errors keyed "participants.<category>"."""
    errors: dict[str, list[str]] = defaultdict(list)
    merged: dict[tuple[str, str], int] = {}
    for cell in cells:
        _merge(merged, (cell.category, cell.sex), cell.count)
    seen = set()
    for total in totals:
        key = f"participants.{total.category}"
        if total.category in seen:
            errors[key].append(_("The same total of participants is given twice."))
            continue
        seen.add(total.category)
        if total.count < 0:
            errors[key].append(_("A number of participants cannot be negative."))
            continue
        known = sum(count for (category, _sex), count in merged.items() if category == total.category)
        if known > total.count:
            errors[key].append(
                _("The participants given by sex (%(known)s) are more than their total (%(total)s).")
                % {"known": known, "total": total.count}
            )
            continue
        _merge(merged, (total.category, Sex.UNKNOWN), total.count - known)
    completed = [ParticipantCell(category, sex, count) for (category, sex), count in merged.items() if count]
    return completed, dict(errors)
