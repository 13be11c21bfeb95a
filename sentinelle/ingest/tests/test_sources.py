"""Reading files: CSV dialects and encodings, the XLSX reader, header and hashtag rows."""

import datetime
import io

import pytest
from openpyxl import Workbook

from sentinelle.core.spreadsheets import safe_cell as neutralise
from sentinelle.ingest.sources import SourceError, open_table


def workbook_bytes(rows: list[list], *, date_format: str | None = None) -> bytes:
    workbook = Workbook()  # normal mode: shared strings, styles
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if date_format:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, datetime.date):
                    cell.number_format = date_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_recognised(delimiter):
    content = delimiter.join(["#date+occurred", "#adm2+code", "#event+type"]).encode() + b"\r\n"
    content += delimiter.join(["2024-03-01", "ML0501", '"life; property"']).encode()

    table = open_table(content)

    assert [tag.display_tag for tag in table.hashtags] == ["#date+occurred", "#adm2+code", "#event+type"]
    assert list(table.rows()) == [(2, ["2024-03-01", "ML0501", "life; property"])]


def test_csv_with_bom_title_rows_and_line_breaks_in_cells():
    content = (
        "\ufeffRapport mensuel;;\r\n"
        "Date;Cercle;Résumé\r\n"
        "#date+occurred;#adm2+code;#description\r\n"
        '2024-03-01;ML0501;"Deux lignes\r\ndans une cellule"\r\n'
        ";;\r\n"
        "2024-03-02;ML0501;Fin\r\n"
    ).encode("utf-8")

    table = open_table(content)

    assert table.headers == ["Date", "Cercle", "Résumé"]
    assert table.first_data_row == 4
    # Rows as a spreadsheet shows them: the quoted line break stays in its cell; blank rows are skipped.
    assert [number for number, _values in table.rows()] == [4, 6]
    assert table.row_count == 2
    assert table.warnings == []


def test_csv_in_windows_encoding_is_read_with_a_warning():
    table = open_table("Commune;Catégories\r\nPélengana;life\r\n".encode("cp1252"))

    assert table.headers == ["Commune", "Catégories"]
    assert list(table.rows()) == [(2, ["Pélengana", "life"])]
    assert len(table.warnings) == 1


def test_workbook_values_dates_and_numbers():
    content = workbook_bytes(
        [
            ["Date", "Nombre", "Texte", "Booléen"],
            ["#date+occurred", "#affected", "#description", "#meta"],
            [datetime.datetime(2024, 3, 1), 3, "Ségou", True],
            [None, 2.5, "=1+1", False],
        ],
        date_format="DD/MM/YYYY",
    )

    table = open_table(content)

    assert table.is_xlsx and table.headers == ["Date", "Nombre", "Texte", "Booléen"]
    rows = list(table.rows())
    assert rows[0] == (3, [datetime.datetime(2024, 3, 1), 3, "Ségou", True])
    # A formula is never run: openpyxl stored it without a cached value, so the cell has none.
    assert rows[1] == (4, [None, 2.5, None, False])


def test_workbook_reads_the_first_sheet_and_its_real_row_numbers():
    workbook = Workbook()
    first = workbook.active
    first.title = "Données"
    first["A1"], first["C1"] = "Date", "Cercle"
    first["A5"], first["C5"] = "2024-03-01", "ML0501"
    workbook.create_sheet("Autre")["A1"] = "ignored"
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = open_table(buffer.getvalue())

    assert table.headers == ["Date", "", "Cercle"]
    assert list(table.rows()) == [(5, ["2024-03-01", None, "ML0501"])]


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04garbage", b"PK\x03\x04" + b"\x00" * 100],
)
def test_damaged_workbook_is_refused(content):
    with pytest.raises(SourceError):
        open_table(content)


@pytest.mark.parametrize(
    "value, safe",
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+33 6", "'+33 6"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("Ségou", "Ségou"),
        (3, 3),
    ],
)
def test_exported_cells_are_neutralised(value, safe):
    assert neutralise(value) == safe
