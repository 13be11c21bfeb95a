"""A reader of the sheets of an XLSX workbook: values only, by calamine (Rust) or by a streaming parser.

`XlsxSheet.fast_rows()` reads a whole sheet at once with python-calamine, twenty times faster than the
streaming parser below: it is taken whenever the sheet and its shared strings cannot declare entities (a
plain XML prolog, as for the C parser below), and its values are made the same as the streaming
parser's (whole numbers as int, dates as datetime, empty cells as None). Anything else is streamed.

openpyxl's read-only mode reads about 10,000 cells a second here and needs a second pass to count rows
when a writer omits the sheet's dimension; imports read 100,000-row files. This reader walks the sheet's
XML once with iterparse, keeps the values Excel stored (never a formula: the cached value, as openpyxl's
data_only), turns numbers in a date format into dates, and clears each row as it goes, so memory stays
flat. Entity declarations are refused (defusedxml): a part whose prolog holds anything but an XML
declaration (a DOCTYPE, a comment) is read by defusedxml's parser; the others, which can declare no
entity, by the C parser, three times faster (defusedxml's is the pure-Python one).
"""

import codecs
import datetime
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree.ElementTree import XMLPullParser

# defusedxml (a dependency of pyxform) refuses entity declarations, hence expansion and external entities.
from defusedxml.ElementTree import iterparse
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel
from python_calamine import CalamineWorkbook

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CORE = {
    "subject": "{http://purl.org/dc/elements/1.1/}subject",
    "keywords": "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}keywords",
}
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[ >]")
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
# Read before choosing the parser; an XLSX part's prolog is an XML declaration of about 60 bytes.
PROLOG_BYTES = 4096
FEED_BYTES = 1 << 16


def _plain_prolog(head: bytes) -> bool:
    """True when `head` is ASCII-compatible XML with nothing before its root element but an XML
    declaration: no DOCTYPE, hence no entity declared. Anything else (UTF-16, a comment) says False."""
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    if not head.startswith(b"<"):
        return False
    root = _ELEMENT_START.search(head)
    return root is not None and b"<!" not in head[: root.start()]


def _fast_events(head: bytes, stream) -> Iterator[tuple[str, object]]:
    parser = XMLPullParser(events=("end",))
    parser.feed(head)
    yield from parser.read_events()
    while chunk := stream.read(FEED_BYTES):
        parser.feed(chunk)
        yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


class XlsxError(ValueError):
    pass


# What a damaged or hostile archive raises while it is read (bad XML, missing parts, a shared-string index
# out of range, a corrupt deflate stream, a DTD refused by defusedxml): all become XlsxError.
READ_ERRORS = (
    KeyError,
    IndexError,
    ValueError,
    SyntaxError,
    OverflowError,
    EOFError,
    zipfile.BadZipFile,
    zlib.error,
)


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


class XlsxSheet:
    """The first worksheet of a workbook given as bytes (the others by name: Kobo's repeat groups)."""

    def __init__(self, content: bytes):
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(content))
            self.sheet_paths = self._sheet_paths()
            self.sheet_path = next(iter(self.sheet_paths.values()))
        except READ_ERRORS as error:
            raise XlsxError(str(error)) from error
        self.content = content
        self._styles = None
        self._strings = None

    @property
    def strings(self) -> list[str]:
        if self._strings is None:
            self._strings = self._shared_strings()
        return self._strings

    @property
    def date_styles(self) -> set[int]:
        if self._styles is None:
            self._styles = self._date_styles()
        return self._styles[0]

    @property
    def epoch(self):
        self.date_styles  # noqa: B018 (read with the styles)
        return self._styles[1]

    def _plain(self, path: str) -> bool:
        if path not in self.archive.namelist():
            return True
        with self.archive.open(path) as stream:
            return _plain_prolog(stream.read(PROLOG_BYTES))

    def fast_rows(self, sheet: str | None = None) -> list[tuple[int, list]] | None:
        """Every row of the sheet that has a value, as `rows` gives them, read by calamine; None when the
        sheet or its shared strings may declare entities (then `rows` streams them through defusedxml)."""
        try:
            path = self.sheet_paths[sheet] if sheet else self.sheet_path
            if not (self._plain(path) and self._plain("xl/sharedStrings.xml")):
                return None
            names = list(self.sheet_paths)
            book = CalamineWorkbook.from_filelike(io.BytesIO(self.content))
            if book.sheet_names != names:
                return None
            found = book.get_sheet_by_name(sheet or names[0]).to_python(skip_empty_area=False)
        except READ_ERRORS as error:
            raise XlsxError(str(error)) from error
        except Exception as error:  # calamine's own errors (CalamineError, ZipError, XmlError...)
            raise XlsxError(str(error)) from error
        rows = []
        for index, values in enumerate(found, 1):
            plain = [
                value if value.__class__ is str and value else None if value == "" else _plain_value(value)
                for value in values
            ]
            while plain and plain[-1] is None:
                plain.pop()
            if plain:
                rows.append((index, plain))
        return rows

    def _xml(self, path: str):
        stream = self.archive.open(path)
        head = stream.read(PROLOG_BYTES)
        if _plain_prolog(head):
            return _fast_events(head, stream)
        stream.close()
        return iterparse(self.archive.open(path), events=("end",))

    def _sheet_paths(self) -> dict[str, str]:
        """Sheet name -> path in the archive, in the workbook's order."""
        sheets = [el for _event, el in self._xml("xl/workbook.xml") if el.tag == f"{MAIN}sheet"]
        if not sheets:
            raise XlsxError("no sheet")
        targets = {
            el.get("Id"): el.get("Target")
            for _event, el in self._xml("xl/_rels/workbook.xml.rels")
            if el.tag == f"{PACKAGE_REL}Relationship"
        }
        paths = {}
        for sheet in sheets:
            target = targets[sheet.get(f"{REL}id")]
            paths[sheet.get("name")] = (
                target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            )
        return paths

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.archive.namelist():
            return []
        strings = []
        for _event, el in self._xml("xl/sharedStrings.xml"):
            if el.tag == f"{MAIN}si":
                # Rich text runs are joined; phonetic runs (rPh) are not part of the value.
                strings.append("".join(t.text or "" for t in el.iter(f"{MAIN}t") if not _in_phonetic(el, t)))
                el.clear()
        return strings

    def _date_styles(self) -> tuple[set[int], object]:
        names = self.archive.namelist()
        epoch = CALENDAR_WINDOWS_1900
        for _event, el in self._xml("xl/workbook.xml"):
            if el.tag == f"{MAIN}workbookPr" and el.get("date1904") in ("1", "true"):
                epoch = CALENDAR_MAC_1904
        if "xl/styles.xml" not in names:
            return set(), epoch
        formats = dict(BUILTIN_FORMATS)
        styles = []
        for _event, el in self._xml("xl/styles.xml"):
            if el.tag == f"{MAIN}numFmt":
                formats[int(el.get("numFmtId"))] = el.get("formatCode") or ""
            elif el.tag == f"{MAIN}cellXfs":
                styles = [int(xf.get("numFmtId") or 0) for xf in el.findall(f"{MAIN}xf")]
        return {index for index, fmt in enumerate(styles) if is_date_format(formats.get(fmt, ""))}, epoch

    def properties(self) -> dict:
        try:
            return self._properties()
        except READ_ERRORS as error:
            raise XlsxError(str(error)) from error

    def _properties(self) -> dict:
        found = {"subject": "", "keywords": ""}
        if "docProps/core.xml" in self.archive.namelist():
            for _event, el in self._xml("docProps/core.xml"):
                for name, tag in CORE.items():
                    if el.tag == tag:
                        found[name] = el.text or ""
        return found

    def count_rows(self) -> int:
        """Row elements in the sheet (blank formatted rows included): a quick estimate for planning."""
        try:
            return self._count_rows()
        except READ_ERRORS as error:
            raise XlsxError(str(error)) from error

    def _count_rows(self) -> int:
        with self.archive.open(self.sheet_path) as sheet:
            count, tail = 0, b""
            while chunk := sheet.read(1 << 20):
                data = tail + chunk
                count += len(_ROW_TAG.findall(data))
                # A tag cut by the chunk boundary is found in the next round (keep the last bytes).
                tail = data[-16:]
                count -= len(_ROW_TAG.findall(tail))
            return count

    def _value(self, cell):
        kind = cell.get("t")
        if kind == "inlineStr":
            return "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
        value = cell.find(f"{MAIN}v")
        if value is None or value.text is None:
            return None
        text = value.text
        if kind == "s":
            return self.strings[int(text)]
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text == "1"
        number = float(text) if any(c in text for c in ".eE") else int(text)
        style = cell.get("s")
        if style is not None and int(style) in self.date_styles:
            return from_excel(number, self.epoch)
        return number

    def rows(self, min_row: int = 1, *, sheet: str | None = None) -> Iterator[tuple[int, list]]:
        """(row number, values) of the rows that have cells, from `min_row`; values indexed by column."""
        try:
            yield from self._rows(min_row, sheet=sheet)
        except READ_ERRORS as error:
            raise XlsxError(str(error)) from error

    def _rows(self, min_row: int = 1, *, sheet: str | None = None) -> Iterator[tuple[int, list]]:
        number = 0
        for _event, el in self._xml(self.sheet_paths[sheet] if sheet else self.sheet_path):
            if el.tag != f"{MAIN}row":
                continue
            number = int(el.get("r") or number + 1)
            if number >= min_row:
                values: list = []
                position = -1
                for cell in el.iter(f"{MAIN}c"):
                    match = _CELL_REF.match(cell.get("r") or "")
                    position = _column_index(match.group(1)) if match else position + 1
                    value = self._value(cell)
                    if value is None:
                        continue
                    if position >= len(values):
                        values.extend([None] * (position + 1 - len(values)))
                    values[position] = value
                yield number, values
            el.clear()


def _plain_value(value):
    """A calamine value as the streaming reader gives it."""
    kind = value.__class__
    if kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    if kind is datetime.date:
        return datetime.datetime(value.year, value.month, value.day)
    return value


def _in_phonetic(si, t) -> bool:
    return any(t in run.iter() for run in si.findall(f"{MAIN}rPh"))
