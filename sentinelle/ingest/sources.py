"""Reading uploaded files: XLSX (calamine, values only) and CSV (UTF-8 or Windows-1252, ; , or tab).

`open_table(content)` recognises the file by its bytes, never by its name, finds the header row and an
optional HXL hashtag row, and streams the data rows with their row number as the user sees it in the
spreadsheet. Formulas are never evaluated: the reader gives the value Excel cached, and a CSV cell that
starts with "=" is plain text. A workbook's sheet is read whole (xlsx.py), a CSV file decoded whole and
split by the csv module (C): both read 10,000 rows in a fraction of a second.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from hxl.model import Column as HxlColumn

# A hashtag row may follow a few title rows (HXL allows up to 25; five is plenty for spreadsheets).
MAX_HEADER_SCAN = 6
# Kobo/ODK export columns that only an export has.
# A sheet of more cells (rows x columns) is streamed rather than read whole: calamine holds every cell of
# the sheet's range (about 40 bytes each) while it is read; 3,000,000 cells is 28,000 rows of the template.
FAST_READ_MAX_CELLS = 3_000_000
KOBO_MARKERS = {"_uuid", "_submission_time", "_id", "_index", "meta/instanceid", "_submitted_by", "_status"}


class SourceError(ValueError):
    """The file as a whole cannot be read (type, encoding, empty); the message is for the user."""


@dataclass
class Table:
    """A file's columns and a way to stream its rows."""

    is_xlsx: bool
    headers: list[str]  # as written in the file ("" where blank); the hashtag when there is no header
    hashtags: list[HxlColumn | None]  # parsed HXL tag per column, None where untagged
    first_data_row: int  # 1-based row number of the first data row
    row_count: int  # non-blank data rows (exact for CSV, from the sheet's dimension for XLSX)
    warnings: list[str] = field(default_factory=list)
    properties: dict = field(default_factory=dict)  # XLSX document properties (template marker)
    _rows: object = None  # callable -> iterator of (row number, values)
    # XLSX only: the other sheets by name -> callable giving their rows as dicts (Kobo repeat groups).
    sheets: dict = field(default_factory=dict)

    @property
    def has_header(self) -> bool:
        return any(self.headers)

    @property
    def has_hashtags(self) -> bool:
        return any(tag is not None for tag in self.hashtags)

    @property
    def is_kobo(self) -> bool:
        return any(header.strip().lower() in KOBO_MARKERS for header in self.headers)

    def rows(self, start: int = 0) -> Iterator[tuple[int, list]]:
        """Non-blank data rows as (row number, values), skipping the first `start` of them."""
        index = 0
        for number, values in self._rows():
            if _is_blank(values):
                continue
            if index >= start:
                yield number, values
            index += 1


def _is_blank(values) -> bool:
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in values)


def _hashtag_row(values) -> list[HxlColumn | None] | None:
    """The parsed tags when `values` is an HXL hashtag row (every non-blank cell a tag), else None."""
    tags = []
    for value in values:
        text = str(value).strip() if value is not None else ""
        if not text:
            tags.append(None)
            continue
        if not text.startswith("#"):
            return None
        column = HxlColumn.parse(text)
        if not column:
            return None
        tags.append(column)
    return tags if any(tags) else None


def _find_headers(head: list[tuple[int, list]]) -> tuple[list[str], list, int]:
    """(headers, hashtags, first data row) from the first rows of the file."""
    non_blank = [(number, values) for number, values in head if not _is_blank(values)]
    if not non_blank:
        raise SourceError(_("The file is empty."))
    for position, (number, values) in enumerate(non_blank[:MAX_HEADER_SCAN]):
        tags = _hashtag_row(values)
        if tags is None:
            continue
        above = non_blank[position - 1][1] if position > 0 else []
        headers = [_text(value) for value in above] + [""] * max(0, len(tags) - len(above))
        headers = [
            header or (tag.display_tag if tag else "") for header, tag in zip(headers, tags, strict=False)
        ]
        return headers, tags, number + 1
    number, values = non_blank[0]
    return [_text(value) for value in values], [None] * len(values), number + 1


def _text(value) -> str:
    return "" if value is None else str(value).strip()


# --- Type recognition --------------------------------------------------------------------------


def _sniff(content: bytes) -> str:
    if not content or not content.strip(b"\xef\xbb\xbf \t\r\n"):
        raise SourceError(_("The file is empty."))
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise SourceError(_("The workbook cannot be read (damaged or protected file).")) from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names:
            raise SourceError(
                _("OpenDocument spreadsheets (.ods) are not supported: save the file as .xlsx or CSV.")
            )
        raise SourceError(_("Unsupported file type: send an .xlsx workbook or a CSV file."))
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise SourceError(
            _("Excel 97-2003 workbooks (.xls) are not supported: save the file as .xlsx or CSV.")
        )
    if b"\x00" in content[:4096] or content.startswith(b"%PDF"):
        raise SourceError(_("Unsupported file type: send an .xlsx workbook or a CSV file."))
    return "csv"


def open_table(content: bytes) -> Table:
    """The table in `content`, or SourceError explaining why it cannot be read."""
    if _sniff(content) == "xlsx":
        return _open_xlsx(content)
    return _open_csv(content)


# --- XLSX --------------------------------------------------------------------------------------


def _open_xlsx(content: bytes) -> Table:
    from sentinelle.ingest.xlsx import XlsxError, XlsxSheet

    try:
        sheet = XlsxSheet(content)
        # The first rows streamed: the header's width is that of its last cell, as written.
        head = []
        for item in sheet.rows():
            head.append(item)
            if len(head) > MAX_HEADER_SCAN:
                break
        properties = sheet.properties()
        # Row elements, not rows with values: an estimate to choose between the request and the worker
        # (the validation counts exactly).
        estimate = sheet.count_rows()
        headers, hashtags, first_data_row = _find_headers(head)
        width = len(headers)
        # The data rows at once (calamine) when the sheet cannot declare entities and its cells fit in
        # memory, else streamed.
        loaded = sheet.fast_rows() if estimate * max(width, 1) <= FAST_READ_MAX_CELLS else None
    except XlsxError as error:
        raise SourceError(_("The workbook cannot be read (damaged or protected file).")) from error

    def rows():
        if loaded is not None:
            for number, values in loaded:
                if number >= first_data_row:
                    yield number, values[:width] + [None] * (width - len(values))
            return
        try:
            for number, values in sheet.rows(min_row=first_data_row):
                yield number, values[:width] + [None] * (width - len(values))
        except (XlsxError, SyntaxError, KeyError, ValueError, zipfile.BadZipFile) as error:
            # Damage past the first rows shows only while streaming.
            raise SourceError(_("The workbook cannot be read (damaged or protected file).")) from error

    def other_sheet(name):
        def read() -> list[dict]:
            try:
                found = sheet.fast_rows(name)
                if found is None:
                    found = list(sheet.rows(sheet=name))
            except (XlsxError, SyntaxError, KeyError, ValueError, zipfile.BadZipFile) as error:
                raise SourceError(_("The workbook cannot be read (damaged or protected file).")) from error
            if not found:
                return []
            names = [_text(value) for value in found[0][1]]
            return [
                {name: value for name, value in zip(names, values, strict=False) if name}
                for _number, values in found[1:]
            ]

        return read

    return Table(
        is_xlsx=True,
        headers=headers,
        hashtags=hashtags,
        first_data_row=first_data_row,
        row_count=max(0, estimate - sum(1 for number, _values in head if number < first_data_row)),
        properties=properties,
        _rows=rows,
        sheets={name: other_sheet(name) for name in list(sheet.sheet_paths)[1:]},
    )


# --- CSV ---------------------------------------------------------------------------------------


def _decode(content: bytes) -> tuple[str, list[str]]:
    try:
        return content.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    warning = _(
        "The file is not in UTF-8: it was read as Windows-1252 (Latin-1). Check the accents in the "
        "preview; if they are wrong, save the file as “CSV UTF-8”."
    )
    try:
        return content.decode("cp1252"), [warning]
    except UnicodeDecodeError:
        return content.decode("latin-1"), [warning]


def _delimiter(text: str) -> str:
    """The delimiter of the first non-blank line among ; , and tab (quoted text ignored)."""
    for line in text.splitlines():
        if line.strip():
            unquoted = "".join(part for index, part in enumerate(line.split('"')) if index % 2 == 0)
            counts = {delimiter: unquoted.count(delimiter) for delimiter in (";", ",", "\t")}
            best = max(counts, key=counts.get)
            return best if counts[best] else ","
    return ","


def _open_csv(content: bytes) -> Table:
    text, warnings = _decode(content)
    if "\x00" in text:
        # Past the first bytes the type check reads: no cell may carry it (PostgreSQL refuses it).
        raise SourceError(
            _("The file contains NUL characters (byte 0): it is not a text file. Save it again as CSV UTF-8.")
        )
    delimiter = _delimiter(text)

    def rows():
        # Records, not physical lines: a quoted cell may hold a line break, and the spreadsheet the
        # user opens shows one row per record.
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        yield from enumerate(reader, 1)

    try:
        head = []
        for item in rows():
            head.append(item)
            if len(head) > MAX_HEADER_SCAN:
                break
        headers, hashtags, first_data_row = _find_headers(head)
        width = len(headers)

        def data_rows():
            for number, values in rows():
                if number >= first_data_row:
                    yield number, values[:width] + [None] * (width - len(values))

        table = Table(
            is_xlsx=False,
            headers=headers,
            hashtags=hashtags,
            first_data_row=first_data_row,
            row_count=0,
            warnings=warnings,
            _rows=data_rows,
        )
        table.row_count = sum(1 for _row in table.rows())
    except csv.Error as error:
        raise SourceError(_("The CSV file cannot be read: %(error)s.") % {"error": error}) from error
    return table
