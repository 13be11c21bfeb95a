"""Hostile files against every import kind: no crash, French errors, nothing written on refusal.

Each property runs the real path (import_job_upload, then import_job_commit when the job is valid) on a
file made from a valid template row and then damaged: hostile cell values (formulas, control characters,
huge numbers, long text), other encodings (Latin-1, UTF-16, BOMs, NUL bytes), truncated or corrupted
bytes, hand-made workbooks with broken XML, and HXL hashtag rows with odd tags. A job may succeed (the
damage was harmless) or end "invalid" with errors; it must never end "failed" (an internal error), never
raise, and an "invalid" job leaves the domain tables as they were.

Hypothesis runs inside each test (function-scoped fixtures stay valid: the database of the test is
shared by the examples), derandomized and bounded so the module runs in well under a minute.
"""

import codecs
import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from sentinelle.activities.models import Activity
from sentinelle.directory.models import Service
from sentinelle.displacement.models import PeopleInNeed, PopulationFigure
from sentinelle.ingest.kinds import all_kinds, get_kind
from sentinelle.ingest.models import ImportJob, ImportStatus
from sentinelle.ingest.services import import_job_commit, import_job_upload
from sentinelle.ingest.tests.conftest import incident_row
from sentinelle.ingest.workbooks import template_csv, template_xlsx
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=25)


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


# kind -> (actor fixture, a valid row by column key, the domain model whose rows it writes)
KINDS = {
    "incidents": ("monitor", incident_row, Incident),
    "services": (
        "manager",
        lambda: {
            "source_id": "S-1",
            "name": "Clinique juridique de Dourou",
            "service_type": "legal",
            "pcode": "ML050101",
            "areas_served": "ML0501",
            "contact_phone": "+223 70 00 00 01",
            "cost": "free",
            "status": "active",
            "last_verified_on": "2024-03-01",
        },
        Service,
    ),
    "population": (
        "monitor",
        lambda: {
            "adm2_code": "ML0501",
            "adm3_code": "ML050101",
            "round_date": "2024-03-31",
            "status": "PDI",
            "households": 120,
            "individuals": 610,
            "n_f_0_5": 100,
            "n_m_0_5": 90,
        },
        PopulationFigure,
    ),
    "people_in_need": (
        "imo",
        lambda: {"adm2_code": "ML0501", "year": 2024, "population_status": "PDI", "people_in_need": 5200},
        PeopleInNeed,
    ),
    "activities": (
        "manager",
        lambda: {
            "reference": "DRC-2026-001",
            "activity_type": "pss_session",
            "title": "Groupe de parole",
            "adm2_code": "ML0501",
            "adm3_code": "ML050101",
            "start_date": (this_month() + datetime.timedelta(days=2)).isoformat(),
            "end_date": (this_month() + datetime.timedelta(days=3)).isoformat(),
            "quantity": 2,
            "population_status": "idp",
            "reached_f_18_59": 14,
            "reached_m_12_17": 6,
        },
        Activity,
    ),
}
KIND_CODES = sorted(KINDS)

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://exemple.invalid/?x="&A1,"Cliquer")',
    "=cmd|' /C calc'!A0",
    "+33 1 23",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=2",
    '=WEBSERVICE("http://exemple.invalid")',
]
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ufeff",
    "\u202e\u0645\u0631\u062d\u0628\u0627",
    "é" * 3,
    "\x1b[31m",
    "NaN",
    "inf",
    "-0",
    "1e308",
    "9" * 40,
    "-" + "9" * 25,
    "0x1F",
    "31/02/2024",
    "2024-13-45",
    "9999-12-31",
    "0000-00-00",
    "01/01/0001",
    "oui;non;;;",
    "ML05;;ML05;",
    "#adm1+code",
    '"',
    '";"',
    "\r\n",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%(row)s %s {0}",
]
CELL = st.one_of(
    st.sampled_from(FORMULAS),
    st.sampled_from(ODD),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=1000, max_value=40000).map(lambda n: "x" * n),
    st.none(),
)


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


@pytest.fixture
def kinds_ready(request, places, alpha):
    """kind code -> (actor, organisation, valid row factory, model)."""
    return {
        code: (request.getfixturevalue(actor), alpha, make_row, model)
        for code, (actor, make_row, model) in KINDS.items()
    }


def _clean_for_xlsx(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    return value


def _nul_parameters(found: list):
    """A database execute wrapper recording every parameter that holds a NUL byte, raw or JSON-escaped:
    SQLite stores them, PostgreSQL refuses them (text and jsonb), which would fail the import there."""

    def wrapper(execute, sql, params, many, context):
        for row in (params if many else [params]) or []:
            values = row.values() if isinstance(row, dict) else (row or [])
            found.extend(
                value
                for value in values
                if isinstance(value, str) and ("\x00" in value or "\\u0000" in value)
            )
        return execute(sql, params, many, context)

    return wrapper


def run_hostile(user, organisation, kind: str, content: bytes, model, *, filename="fichier.csv"):
    """Upload (and commit when valid) `content`; assert the outcome is a clean success or refusal."""
    nul: list = []
    with connection.execute_wrapper(_nul_parameters(nul)):
        job = _run_hostile(user, organisation, kind, content, model, filename=filename)
    assert not nul, ("a NUL byte reached the database", [value[:80] for value in nul[:3]])
    return job


def _run_hostile(user, organisation, kind: str, content: bytes, model, *, filename):
    before = model.objects.count()
    jobs_before = ImportJob.objects.count()
    try:
        job = import_job_upload(
            actor=user, kind=kind, organisation=organisation, filename=filename, content=content
        )
    except ValidationError as error:
        # Only the size limit is refused before a job exists.
        assert error.messages and all(error.messages)
        assert ImportJob.objects.count() == jobs_before
        assert model.objects.count() == before
        return None
    assert job.status in (ImportStatus.INVALID, ImportStatus.VALID, ImportStatus.MAPPING), (
        job.status,
        job.failure,
    )
    if job.status == ImportStatus.MAPPING:
        # Values that are not in their list wait for the mapping step: listed, nothing written.
        assert job.unmapped or job.preview.get("unmapped_overflow"), "a job waiting for a mapping says which"
        for entry in job.unmapped:
            assert isinstance(entry["value"], str) and entry["rows"] >= 1
        with pytest.raises(ValidationError):
            import_job_commit(actor=user, job=job)
        assert model.objects.count() == before, "a job waiting for a mapping wrote rows"
        return job
    if job.status == ImportStatus.VALID:
        job = import_job_commit(actor=user, job=job)
        assert job.status in (ImportStatus.COMMITTED, ImportStatus.INVALID), (job.status, job.failure)
    if job.status == ImportStatus.INVALID:
        assert job.errors, "an invalid job says why"
        for error in job.errors:
            assert isinstance(error["message"], str) and error["message"].strip()
        assert model.objects.count() == before, "a refused file wrote rows"
    return job


# --- The baseline: each kind's valid row imports (so the damage below starts from a good file) ---------


def test_every_registered_kind_is_fuzzed():
    assert {kind.code for kind in all_kinds()} == set(KINDS)


@pytest.mark.parametrize("kind", KIND_CODES)
def test_the_valid_row_of_each_kind_imports(kinds_ready, kind):
    user, organisation, make_row, model = kinds_ready[kind]
    job = run_hostile(user, organisation, kind, template_csv(get_kind(kind), [make_row()]), model)
    assert job.status == ImportStatus.COMMITTED, job.errors


# --- Hostile cells, in the CSV and the XLSX templates ---------------------------------------------------


@pytest.mark.parametrize("kind", KIND_CODES)
def test_hostile_cells_in_templates(kinds_ready, kind):
    user, organisation, make_row, model = kinds_ready[kind]
    import_kind = get_kind(kind)
    keys = [column.key for column in import_kind.template_columns()]

    @FEW
    @given(
        changes=st.dictionaries(st.sampled_from(keys), CELL, min_size=1, max_size=4),
        extra_rows=st.integers(min_value=0, max_value=2),
        as_xlsx=st.booleans(),
    )
    def check(changes, extra_rows, as_xlsx):
        row = {**make_row(), **changes}
        rows = [row] + [{**row, "source_id": f"X-{n}", "reference": f"X-{n}"} for n in range(extra_rows)]
        if as_xlsx:
            content = template_xlsx(
                import_kind, [{k: _clean_for_xlsx(v) for k, v in r.items()} for r in rows]
            )
            run_hostile(user, organisation, kind, content, model, filename="f.xlsx")
        else:
            run_hostile(user, organisation, kind, template_csv(import_kind, rows), model)

    check()


# --- Encodings, BOMs, NUL bytes, truncation, corruption -------------------------------------------------

ENCODINGS = [
    "utf-8",
    "utf-8-sig",
    "latin-1",
    "cp1252",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "mac-roman",
]


def _reencode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


@pytest.mark.parametrize("kind", KIND_CODES)
def test_wrongly_encoded_csv(kinds_ready, kind):
    user, organisation, make_row, model = kinds_ready[kind]
    text = template_csv(get_kind(kind), [make_row()]).decode("utf-8-sig")

    @FEW
    @given(
        encoding=st.sampled_from(ENCODINGS),
        bom=st.sampled_from(
            [b"", codecs.BOM_UTF8, codecs.BOM_UTF8 * 2, codecs.BOM_UTF16_LE, codecs.BOM_UTF32]
        ),
        nul_at=st.one_of(st.none(), st.integers(min_value=0, max_value=20000)),
        delimiter=st.sampled_from([";", ",", "\t", "|"]),
        crlf=st.booleans(),
    )
    def check(encoding, bom, nul_at, delimiter, crlf):
        body = text.replace(";", delimiter)
        if not crlf:
            body = body.replace("\r\n", "\n")
        content = bom + _reencode(body, encoding)
        if nul_at is not None:
            position = min(nul_at, len(content))
            content = content[:position] + b"\x00" + content[position:]
        run_hostile(user, organisation, kind, content, model)

    check()


@pytest.mark.parametrize("kind", KIND_CODES)
def test_truncated_and_corrupted_files(kinds_ready, kind):
    user, organisation, make_row, model = kinds_ready[kind]
    import_kind = get_kind(kind)
    files = {
        "csv": template_csv(import_kind, [make_row()]),
        "xlsx": template_xlsx(import_kind, [make_row()]),
    }

    @FUZZ
    @given(
        which=st.sampled_from(sorted(files)),
        cut=st.floats(min_value=0.0, max_value=1.0),
        flips=st.lists(
            st.tuples(st.floats(min_value=0.0, max_value=1.0), st.integers(min_value=0, max_value=255)),
            max_size=4,
        ),
        tail=st.binary(max_size=64),
    )
    def check(which, cut, flips, tail):
        data = bytearray(files[which])
        for where, byte in flips:
            data[min(int(where * len(data)), len(data) - 1)] = byte
        content = bytes(data[: max(1, int(cut * len(data)))]) + tail
        run_hostile(user, organisation, kind, content, model, filename=f"f.{which}")

    check()


def test_random_bytes_are_refused_without_a_crash(kinds_ready):
    user, organisation, _make_row, model = kinds_ready["incidents"]

    @FUZZ
    @given(
        content=st.one_of(
            st.binary(min_size=1, max_size=512),
            st.binary(max_size=256).map(lambda b: b"PK\x03\x04" + b),
            st.binary(max_size=256).map(lambda b: b"\xd0\xcf\x11\xe0" + b),
            st.binary(max_size=256).map(lambda b: b"%PDF-1.4" + b),
        )
    )
    def check(content):
        run_hostile(user, organisation, "incidents", content, model)

    check()


# --- HXL: hashtag rows with odd tags and attributes -----------------------------------------------------

HASHTAG = st.one_of(
    st.sampled_from(
        [
            "#",
            "#+",
            "#adm1",
            "#adm1+code",
            "#adm2+code",
            "#adm3+code+code",
            "#date+occurred",
            "#date +start",
            "#affected+killed+m+adult",
            "#ADM2+CODE",
            "#meta+id",
            "#event+id",
            "#x_custom",
            "#inneed",
            "#population+idps+ind",
            "#1",
            "#adm2+",
            "#adm2++code",
            "#adm2+code+" + "x" * 300,
            "#é",
            "#org+name",
        ]
    ),
    st.text(max_size=12).map(lambda text: "#" + text),
    st.just(""),
)


@pytest.mark.parametrize("kind", KIND_CODES)
def test_hxl_hashtag_rows(kinds_ready, kind):
    user, organisation, _make_row, model = kinds_ready[kind]

    @FEW
    @given(
        tags=st.lists(HASHTAG, min_size=1, max_size=8),
        title_rows=st.integers(min_value=0, max_value=7),
        header_row=st.booleans(),
        data=st.lists(
            st.lists(CELL.map(lambda v: "" if v is None else str(v)[:200]), max_size=8), max_size=3
        ),
    )
    def check(tags, title_rows, header_row, data):
        lines = [["Titre du rapport"] for _ in range(title_rows)]
        if header_row:
            lines.append([f"Colonne {n}" for n in range(len(tags))])
        lines.append(tags)
        lines.extend(data)
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=",", lineterminator="\r\n").writerows(lines)
        run_hostile(user, organisation, kind, buffer.getvalue().encode("utf-8"), model)

    check()


# --- Huge (bounded) files -------------------------------------------------------------------------------


def test_huge_cells_many_columns_and_the_size_limit(kinds_ready, settings):
    user, organisation, make_row, model = kinds_ready["incidents"]
    kind = get_kind("incidents")
    # A 1 MB summary, a 200,000-character code, 2,000 unknown extra columns.
    job = run_hostile(
        user, organisation, "incidents", template_csv(kind, [make_row(summary="é" * 500_000)]), model
    )
    assert job is not None
    job = run_hostile(
        user, organisation, "incidents", template_csv(kind, [make_row(adm2_code="M" * 200_000)]), model
    )
    assert job.status == ImportStatus.INVALID
    text = template_csv(kind, [make_row()]).decode("utf-8-sig").split("\r\n")
    wide = "\r\n".join(
        [text[0] + ";" * 2000 + "x", text[1] + ";" * 2001, text[2] + ";" * 2000 + "=1+1"]
    ).encode()
    run_hostile(user, organisation, "incidents", wide, model)
    # A file over the limit is refused before anything is stored.
    settings.SENTINELLE = {**settings.SENTINELLE, "IMPORT_MAX_BYTES": 10_000}
    assert run_hostile(user, organisation, "incidents", b"a;b\r\n" + b"1;2\r\n" * 5000, model) is None


@pytest.mark.parametrize("kind", KIND_CODES)
def test_nul_bytes_past_the_first_kilobytes(kinds_ready, kind):
    """The type check reads the first 4 KB; a NUL byte further down must not reach the database."""
    user, organisation, make_row, model = kinds_ready[kind]
    import_kind = get_kind(kind)
    text_keys = [
        c.key for c in import_kind.template_columns() if c.key in ("summary", "name", "title", "source_id")
    ]
    padding = [{**make_row(), "source_id": f"P-{n}", "reference": f"P-{n}"} for n in range(200)]
    for key in text_keys or [import_kind.template_columns()[0].key]:
        hostile = {**make_row(), "source_id": "NUL-1", "reference": "NUL-1", key: "avant\x00après"}
        content = template_csv(import_kind, [*padding, hostile])
        assert b"\x00" not in content[:4096] and b"\x00" in content
        run_hostile(user, organisation, kind, content, model)
