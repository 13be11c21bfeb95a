"""Hostile workbooks against the imports: hand-made XLSX (broken XML, bad references, entities) and
Kobo/ODK exports with damaged repeat-group sheets. Same rules as test_fuzz_imports: no crash, French
errors, nothing written on refusal."""

import csv
import datetime
import io
import zipfile

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from sentinelle.ingest.models import ImportStatus
from sentinelle.ingest.sources import SourceError, open_table
from sentinelle.ingest.tests.test_fuzz_imports import (  # noqa: F401  (fixtures and helpers)
    CELL,
    FEW,
    FUZZ,
    _clean_for_xlsx,
    french,
    kinds_ready,
    run_hostile,
)

pytestmark = pytest.mark.django_db


# --- Hand-made workbooks: broken XML, bad references, entities -----------------------------------------

WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is>'
    "</c></row></sheetData></worksheet>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is>'
    "</c></row></sheetData></worksheet>"
)


def _workbook(
    sheet_xml: str, *, shared: list[str] | None = None, styles: str | None = None, **extra
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", extra.get("workbook", WORKBOOK))
        archive.writestr("xl/_rels/workbook.xml.rels", extra.get("rels", RELS))
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        if shared is not None:
            items = "".join(f"<si><t>{text}</t></si>" for text in shared)
            archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{SHEET_NS}">{items}</sst>')
        if styles is not None:
            archive.writestr("xl/styles.xml", styles)
    return buffer.getvalue()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


XML_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
CELL_XML = st.builds(
    lambda ref, kind, value, style: (
        "<c"
        + (f' r="{_escape(ref)}"' if ref is not None else "")
        + (f' t="{kind}"' if kind else "")
        + (f' s="{_escape(style)}"' if style is not None else "")
        + ">"
        + (f"<is><t>{_escape(value)}</t></is>" if kind == "inlineStr" else f"<v>{_escape(value)}</v>")
        + "</c>"
    ),
    ref=st.one_of(
        st.none(), st.sampled_from(["A1", "B3", "ZZZZ9", "a1", "A", "1", "A0", "XFD1048576"]), XML_TEXT
    ),
    kind=st.sampled_from(["", "s", "str", "inlineStr", "b", "e", "n", "d", "bogus"]),
    value=st.one_of(
        st.sampled_from(["0", "1", "2", "99", "-1", "1.5", "1e400", "abc", "", "45000", "2024-01-01", "NaN"]),
        XML_TEXT,
    ),
    style=st.one_of(st.none(), st.sampled_from(["0", "1", "7", "-1", "x", "99999"])),
)
ROW_XML = st.builds(
    lambda number, cells: (
        "<row" + (f' r="{number}"' if number is not None else "") + ">" + "".join(cells) + "</row>"
    ),
    number=st.one_of(st.none(), st.sampled_from(["1", "2", "3", "0", "-5", "x", "99999999"])),
    cells=st.lists(CELL_XML, max_size=6),
)
STYLES = (
    f'<styleSheet xmlns="{SHEET_NS}"><numFmts><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs></styleSheet>'
)


def test_hand_made_workbooks(kinds_ready):  # noqa: F811
    user, organisation, _make_row, model = kinds_ready["incidents"]
    header = (
        '<row r="1">'
        + "".join(
            f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{_escape(label)}</t></is></c>'
            for i, label in enumerate(["Identifiant", "Date de l'incident", "Cercle (P-code)", "Résumé"])
        )
        + "</row>"
    )

    @FUZZ
    @given(
        rows=st.lists(ROW_XML, max_size=5),
        with_header=st.booleans(),
        shared=st.one_of(st.none(), st.lists(XML_TEXT.map(_escape), max_size=3)),
        with_styles=st.booleans(),
        damage=st.sampled_from(["none", "unclosed", "laughs", "xxe", "no_rels", "bad_target", "no_sheets"]),
    )
    def check(rows, with_header, shared, with_styles, damage):
        body = (header if with_header else "") + "".join(rows)
        sheet = f'<worksheet xmlns="{SHEET_NS}"><sheetData>{body}</sheetData></worksheet>'
        extra = {}
        if damage == "unclosed":
            sheet = sheet[: len(sheet) // 2]
        elif damage == "laughs":
            sheet = LAUGHS
        elif damage == "xxe":
            sheet = XXE
        elif damage == "no_rels":
            extra["rels"] = RELS.replace('Id="rId1"', 'Id="rId9"')
        elif damage == "bad_target":
            extra["rels"] = RELS.replace("worksheets/sheet1.xml", "../../etc/passwd")
        elif damage == "no_sheets":
            extra["workbook"] = WORKBOOK.replace('<sheet name="Feuil1" sheetId="1" r:id="rId1"/>', "")
        content = _workbook(sheet, shared=shared, styles=STYLES if with_styles else None, **extra)
        job = run_hostile(user, organisation, "incidents", content, model, filename="f.xlsx")
        if damage in ("laughs", "xxe") and job is not None:
            assert job.status == ImportStatus.INVALID
            assert "root:" not in str(job.errors) and "lollol" not in str(job.preview)

    check()


def test_entity_expansion_is_refused_by_the_reader():
    for sheet in (LAUGHS, XXE):
        with pytest.raises(SourceError):
            table = open_table(_workbook(sheet))
            list(table.rows())


@pytest.mark.parametrize(
    "prefix",
    [
        "",  # the plain case
        "\ufeff",  # a UTF-8 byte order mark
        "<!-- before the DTD -->",  # a comment first
        "\n\n  ",  # blank lines first
    ],
)
def test_entities_stay_refused_whatever_comes_before_the_dtd(prefix):
    """The reader takes a faster parser for parts without a DTD: the DTD must not hide from it."""
    for sheet in (LAUGHS, XXE):
        declaration, rest = sheet.split("?>", 1)
        for disguised in (prefix + sheet, declaration + "?>" + prefix + rest):
            with pytest.raises(SourceError):
                table = open_table(_workbook(disguised))
                list(table.rows())


def test_entities_in_a_utf16_sheet_are_refused():
    for sheet in (LAUGHS, XXE):
        text = sheet.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
        with pytest.raises(SourceError):
            table = open_table(_workbook(text.encode("utf-16")))
            list(table.rows())


def test_a_utf16_sheet_without_entities_is_still_read():
    sheet = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Résumé</t>'
        '</is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>Très bien</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    table = open_table(_workbook(sheet.encode("utf-16")))
    assert [values for _number, values in table.rows()] == [["Très bien"]]


# --- Kobo/ODK exports: the main sheet and its repeat-group sheets, damaged -----------------------------

INDEX = st.one_of(
    st.integers(min_value=-3, max_value=4),
    st.sampled_from(["", "1", "x", "1.5", "9" * 30, "=1+1"]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
)


def test_kobo_workbooks_with_hostile_repeat_groups(kinds_ready):  # noqa: F811
    from sentinelle.ingest.tests.test_kobo import KOBO_MAIN, kobo_workbook

    user, organisation, _make_row, model = kinds_ready["incidents"]
    start, reported = (
        (timezone.localdate() - datetime.timedelta(days=7)).isoformat(),
        (timezone.localdate() - datetime.timedelta(days=6)).isoformat(),
    )
    main_row = [start, reported, "ML0501", "ML050101", "life child_rights explosive", "nsag", "yes", 1, "ied"]
    main_row += ["yes", "uuid:k-1", "k-1", 1]
    repeat_headers = {
        "victims": [
            "victims/victim_outcome",
            "victims/victim_sex",
            "victims/victim_age_group",
            "victims/victim_count",
            "_index",
            "_parent_table_name",
            "_parent_index",
        ],
        "violations": [
            "violation_type",
            "perpetrator_party",
            "verification",
            "facility",
            "_index",
            "_parent_index",
        ],
        "violation_victims": ["child_sex", "child_age_group", "child_count", "_index", "_parent_index"],
        "casualties": [
            "casualty_sex",
            "casualty_age",
            "casualty_outcome",
            "casualty_civilian",
            "_index",
            "_parent_index",
        ],
    }
    value = CELL.map(_clean_for_xlsx)

    @FEW
    @given(
        main_changes=st.dictionaries(
            st.integers(min_value=0, max_value=len(KOBO_MAIN) - 1), value, max_size=3
        ),
        repeats=st.dictionaries(
            st.sampled_from(sorted(repeat_headers)),
            st.lists(st.tuples(st.lists(value, min_size=4, max_size=5), INDEX, INDEX), max_size=3),
            max_size=4,
        ),
        drop_header=st.one_of(
            st.none(), st.sampled_from(["_index", "_parent_index", "victims/victim_count"])
        ),
        as_csv=st.booleans(),
    )
    def check(main_changes, repeats, drop_header, as_csv):
        row = list(main_row)
        for index, new in main_changes.items():
            row[index] = new
        if as_csv:
            lines = [KOBO_MAIN, ["" if cell is None else str(cell) for cell in row]]
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=";").writerows(lines)
            run_hostile(user, organisation, "incidents", buffer.getvalue().encode(), model)
            return
        sheets = {"sentinelle_incident": [KOBO_MAIN, row]}
        for name, rows in repeats.items():
            headers = [header for header in repeat_headers[name] if header != drop_header]
            body = []
            for values, own, parent in rows:
                line = [*(values + [None] * 5)[: len(repeat_headers[name]) - 2], own, parent]
                if name == "victims":
                    line = [*line[:-1], "sentinelle_incident", parent]
                body.append(
                    [
                        cell
                        for header, cell in zip(repeat_headers[name], line, strict=False)
                        if header != drop_header
                    ]
                )
            sheets[name] = [headers, *body]
        run_hostile(user, organisation, "incidents", kobo_workbook(sheets), model, filename="kobo.xlsx")

    check()


@pytest.mark.parametrize(
    ("head", "plain"),
    [
        (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<worksheet xmlns="x">', True),
        (b'\xef\xbb\xbf<?xml version="1.0"?><worksheet>', True),
        (b"<worksheet><sheetData>", True),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><worksheet>', False),
        (b'<?xml version="1.0"?><!-- note --><worksheet>', False),
        ('<?xml version="1.0" encoding="UTF-16"?><worksheet>'.encode("utf-16"), False),
        (b'<?xml version="1.0"?>' + b" " * 5000, False),  # no root element in sight
    ],
)
def test_only_parts_that_cannot_declare_entities_take_the_fast_parser(head, plain):
    from sentinelle.ingest.xlsx import _plain_prolog

    assert _plain_prolog(head) is plain
