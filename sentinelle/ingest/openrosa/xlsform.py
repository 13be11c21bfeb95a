"""Sentinelle's monitoring forms as XLSForm workbooks, built in code.

A form is a list of `Row`s (survey sheet) plus choice lists. Labels are gettext msgids rendered once per
form language (French first, then English) under `translation.override`, so the forms speak the same
words as the web pages and the code lists of `sentinelle.monitoring.models`. Area lists (region ->
cercle -> commune, P-codes of the default COD version) come from the database, which is why a form's
`version` is a hash of its whole rendered definition: new areas or new translations give a new version,
and ODK Collect sees a new hash in the formList.

The same workbook is downloaded by Kobo users and converted to XForm by pyxform (xforms.py).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import translation

from sentinelle.geography.models import AdminArea
from sentinelle.geography.selectors import cod_version_default

# XLSForm language names: "Name (code)" lets ODK Collect match the device language.
LANGUAGES = (("fr", "Français (fr)"), ("en", "English (en)"))
DEFAULT_LANGUAGE = LANGUAGES[0][1]
TRANSLATED_COLUMNS = ("label", "hint", "constraint_message", "required_message")
PLAIN_COLUMNS = (
    "type",
    "name",
    "required",
    "relevant",
    "constraint",
    "choice_filter",
    "appearance",
    "default",
    "calculation",
    "repeat_count",
    "parameters",
)
# Area levels offered by the forms, each list filtered by its parent's answer (cascading selects).
AREA_LISTS = ((1, "region", None), (2, "cercle", "region"), (3, "commune", "cercle"))


class FormsUnavailable(Exception):
    """The forms cannot be built (no default COD version with cercles): say so, do not serve half a form."""


@dataclass(frozen=True)
class Row:
    """One survey row; text values (label, hint, messages) are lazy msgids rendered per language."""

    type: str
    name: str = ""
    label: object = None
    hint: object = None
    required: bool = False
    required_message: object = None
    relevant: str = ""
    constraint: str = ""
    constraint_message: object = None
    choice_filter: str = ""
    appearance: str = ""
    default: str = ""
    calculation: str = ""
    repeat_count: str = ""
    parameters: str = ""


@dataclass(frozen=True)
class Choice:
    list_name: str
    name: str
    label: object  # lazy msgid, or a plain string (area names) used for every language
    filters: dict = field(default_factory=dict)  # e.g. {"region": "ML05"} for a cercle


@dataclass(frozen=True)
class Survey:
    """What a form module declares: its rows and the choice lists it uses (areas are added here)."""

    form_id: str
    title: object
    rows: list[Row]
    choices: list[Choice]
    instance_name: str = ""


@dataclass(frozen=True)
class FormDefinition:
    """A rendered form: the three sheets as rows of cells, and the version derived from them."""

    form_id: str
    title: str
    version: str
    sheets: dict[str, list[list]]
    # Question name -> French label, to name the fields in error messages sent back to devices.
    labels: dict[str, str]

    def xlsx(self) -> bytes:
        from openpyxl import Workbook

        workbook = Workbook()
        workbook.remove(workbook.active)
        for title, rows in self.sheets.items():
            sheet = workbook.create_sheet(title)
            for row in rows:
                sheet.append(row)
            # Labels come from data (the COD's place names): a text that openpyxl would write as a formula
            # (it starts with "=") is written as the text it is; the form keeps the exact label.
            for line in sheet.iter_rows():
                for cell in line:
                    if cell.data_type == "f":
                        cell.data_type = "s"
        # Fixed document dates: the same definition gives the same file.
        workbook.properties.created = workbook.properties.modified = datetime(2025, 1, 1)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


def _text(value, language: str) -> str:
    if value is None:
        return ""
    with translation.override(language):
        return str(value)


def _survey_sheet(rows: list[Row]) -> list[list]:
    header = ["type", "name"]
    for column in TRANSLATED_COLUMNS:
        header += [f"{column}::{name}" for _code, name in LANGUAGES]
    header += [column for column in PLAIN_COLUMNS if column not in ("type", "name")]
    body = []
    for row in rows:
        cells = [row.type, row.name]
        for column in TRANSLATED_COLUMNS:
            cells += [_text(getattr(row, column), code) for code, _name in LANGUAGES]
        for column in PLAIN_COLUMNS[2:]:
            value = getattr(row, column)
            cells.append(("yes" if value else "") if column == "required" else value)
        body.append(cells)
    return [header, *body]


def _choices_sheet(choices: list[Choice]) -> list[list]:
    filter_columns = sorted({key for choice in choices for key in choice.filters})
    header = ["list_name", "name", *(f"label::{name}" for _code, name in LANGUAGES), *filter_columns]
    body = [
        [
            choice.list_name,
            choice.name,
            *(_text(choice.label, code) for code, _name in LANGUAGES),
            *(choice.filters.get(key, "") for key in filter_columns),
        ]
        for choice in choices
    ]
    return [header, *body]


def area_choices() -> list[Choice]:
    """Regions, cercles and communes of the default COD version, each with its parent's P-code."""
    version = cod_version_default()
    if version is None:
        raise FormsUnavailable("no default COD version")
    areas = (
        AdminArea.objects.filter(version=version, level__in=[level for level, _l, _p in AREA_LISTS])
        .select_related("parent")
        .only("pcode", "name_fr", "level", "parent__pcode")
        .order_by("level", "name_fr", "pcode")
    )
    lists = {level: (list_name, parent_list) for level, list_name, parent_list in AREA_LISTS}
    choices = []
    for area in areas:
        list_name, parent_list = lists[area.level]
        filters = {parent_list: area.parent.pcode} if parent_list and area.parent else {}
        choices.append(Choice(list_name, area.pcode, area.name_fr, filters))
    if not any(choice.list_name == "cercle" for choice in choices):
        raise FormsUnavailable("the default COD version has no cercle")
    return choices


def render(survey: Survey, areas: list[Choice]) -> FormDefinition:
    """The sheets of one form, its version (a hash of everything else) and its French labels."""
    sheets = {"survey": _survey_sheet(survey.rows), "choices": _choices_sheet([*survey.choices, *areas])}
    settings_row = {
        "form_title": _text(survey.title, LANGUAGES[0][0]),
        "form_id": survey.form_id,
        "default_language": DEFAULT_LANGUAGE,
        "instance_name": survey.instance_name,
        "allow_choice_duplicates": "no",
    }
    digest = hashlib.sha256(json.dumps([sheets, settings_row], ensure_ascii=False).encode()).hexdigest()
    version = digest[:12]
    settings_row["version"] = version
    sheets["settings"] = [list(settings_row), list(settings_row.values())]
    labels = {row.name: _text(row.label, LANGUAGES[0][0]) for row in survey.rows if row.name and row.label}
    return FormDefinition(survey.form_id, settings_row["form_title"], version, sheets, labels)
