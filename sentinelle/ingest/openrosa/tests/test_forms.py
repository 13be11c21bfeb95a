import hashlib
import io
import itertools
import time
from xml.etree import ElementTree as ET

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pyxform.xls2xform import convert

from sentinelle.geography.models import AdminArea, CodVersion
from sentinelle.geography.tests.factories import AdminAreaFactory
from sentinelle.ingest.openrosa.surveys import GBV_FORM, INCIDENT_FORM, form_definition, form_definitions
from sentinelle.ingest.openrosa.xforms import convert_definition
from sentinelle.monitoring.classification import QUESTION_KEYS

pytestmark = pytest.mark.django_db
FORMS = [INCIDENT_FORM, GBV_FORM]
XFORMS = "{http://www.w3.org/2002/xforms}"
FORMLIST = "{http://openrosa.org/xforms/xformsList}"


def _xml(content: bytes):
    return ET.fromstring(content)  # noqa: S314 (served by our own view)


@pytest.mark.parametrize("form_id", FORMS)
def test_each_xlsform_converts_with_pyxform_without_errors_or_warnings(
    signed_in, monitor, geography, form_id
):
    response = signed_in(monitor).get(reverse("openrosa:xlsform-download", args=[form_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    warnings: list[str] = []
    result = convert(io.BytesIO(response.content), warnings=warnings, file_type=".xlsx")
    assert not warnings and not result.warnings
    instance = _xml(result.xform.encode()).find(f".//{XFORMS}instance/{XFORMS}data")
    assert instance.get("id") == form_id and instance.get("version") == form_definition(form_id).version


def test_the_workbook_is_french_first_with_cascading_areas(geography):
    workbook = load_workbook(io.BytesIO(form_definition(INCIDENT_FORM).xlsx()))
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    header = [cell.value for cell in workbook["survey"][1]]
    assert header[:4] == ["type", "name", "label::Français (fr)", "label::English (en)"]
    rows = {row[1]: row for row in workbook["survey"].iter_rows(min_row=2, values_only=True)}
    filter_column = header.index("choice_filter")
    assert rows["cercle"][filter_column] == "region=${region}"
    assert rows["commune"][filter_column] == "cercle=${cercle}"
    choices = list(workbook["choices"].iter_rows(values_only=True))
    columns = choices[0]
    areas = {(row[0], row[1]): dict(zip(columns, row, strict=True)) for row in choices[1:]}
    assert areas[("cercle", "ML0501")]["region"] == "ML05"
    assert areas[("commune", "ML050101")]["cercle"] == "ML0501"
    assert ("region", "ML04") in areas
    # GBV is a category of the monitoring form as an allegation: a note, never a question on the survivor
    # (survivor details are the GBV form's, for GBV service providers).
    assert ("category", "gbv") in areas and ("category", "life") in areas
    assert rows["gbv_allegation"][0] == "note"
    assert rows["gbv_allegation"][header.index("relevant")] == "selected(${categories}, 'gbv')"
    survivor = {"survivor_sex", "survivor_age", "survivor_code", "consent_to_report", *QUESTION_KEYS}
    assert survivor.isdisjoint(rows) and ("survivor_sex", "f") not in areas
    settings = dict(zip(*workbook["settings"].iter_rows(values_only=True), strict=True))
    assert settings["form_id"] == INCIDENT_FORM and settings["default_language"] == "Français (fr)"


def test_the_version_is_a_hash_of_the_definition(geography, cercle):
    before = form_definition(INCIDENT_FORM).version
    assert form_definition(INCIDENT_FORM).version == before
    AdminAreaFactory(parent=cercle, level=3, pcode="ML050102", name_fr="Socoura")
    assert form_definition(INCIDENT_FORM).version != before


def test_the_gbv_tool_asks_each_question_only_after_a_no(geography):
    xform, _warnings = convert_definition(form_definition(GBV_FORM))
    binds = {bind.get("nodeset").rsplit("/", 1)[-1]: bind for bind in _xml(xform).iter(f"{XFORMS}bind")}
    assert "relevant" not in binds["penetration"].attrib
    for previous, key in itertools.pairwise(QUESTION_KEYS):
        assert binds[key].get("relevant").replace(" ", "") == f"/data/classification/{previous}='no'"
    assert binds["is_gbv"].get("constraint") == ". = 'no'"
    assert binds["consent_to_report"].get("required") == "true()"


def test_forms_are_unavailable_without_a_default_cod_version(signed_in, monitor, geography):
    CodVersion.objects.update(is_default=False)
    page = signed_in(monitor).get(reverse("openrosa:help"))
    assert page.status_code == 200 and "xlsform-" not in page.content.decode()


def test_the_shipped_cod_gives_about_760_areas_and_converts_in_reasonable_time(shipped_geography):
    CodVersion.objects.filter(pk=shipped_geography.pk).update(is_default=True)
    definition = form_definition(INCIDENT_FORM)
    areas = [row for row in definition.sheets["choices"][1:] if row[0] in ("region", "cercle", "commune")]
    expected = AdminArea.objects.filter(version=shipped_geography, level__in=[1, 2, 3]).count()
    assert len(areas) == expected and 700 < expected < 800
    started = time.perf_counter()
    xform, warnings = convert_definition(definition)
    assert not warnings and time.perf_counter() - started < 10
    assert xform.count(b"<item>") >= expected


def test_a_monitors_device_is_offered_the_monitoring_form_only(client, monitor_device, geography):
    response = client.get("/openrosa/formList", secure=True, **monitor_device)
    assert [e.findtext(f"{FORMLIST}formID") for e in _xml(response.content)] == [INCIDENT_FORM]
    one = client.get("/openrosa/formList", {"formID": GBV_FORM}, secure=True, **monitor_device)
    assert _xml(one.content).findall(f"{FORMLIST}xform") == []


def test_form_list_lists_every_form_with_the_hash_of_what_it_serves(client, caseworker_device, geography):
    # A GBV service provider's case worker is offered both forms.
    response = client.get("/openrosa/formList", secure=True, **caseworker_device)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response["X-OpenRosa-Version"] == "1.0" and response["Date"]
    root = _xml(response.content)
    assert root.tag == f"{FORMLIST}xforms"
    entries = root.findall(f"{FORMLIST}xform")
    assert sorted(entry.findtext(f"{FORMLIST}formID") for entry in entries) == sorted(FORMS)
    for entry in entries:
        for tag in ("formID", "name", "version", "hash", "downloadUrl"):
            assert len(entry.findall(f"{FORMLIST}{tag}")) == 1
        url = entry.findtext(f"{FORMLIST}downloadUrl")
        assert url.startswith("https://testserver/openrosa/forms/")
        xform = client.get(url.removeprefix("https://testserver"), secure=True, **caseworker_device)
        assert xform.status_code == 200 and xform["Content-Type"] == "text/xml; charset=utf-8"
        served = hashlib.md5(xform.content, usedforsecurity=False).hexdigest()
        assert entry.findtext(f"{FORMLIST}hash") == f"md5:{served}"
        assert (
            entry.findtext(f"{FORMLIST}version")
            == form_definition(entry.findtext(f"{FORMLIST}formID")).version
        )


def test_form_list_can_be_asked_for_one_form(client, caseworker_device, geography):
    response = client.get(
        "/openrosa/formList", {"formID": GBV_FORM, "verbose": "true"}, secure=True, **caseworker_device
    )
    assert [e.findtext(f"{FORMLIST}formID") for e in _xml(response.content)] == [GBV_FORM]


def test_form_endpoints_challenge_devices_without_credentials(client, geography):
    for url in ("/openrosa/formList", f"/openrosa/forms/{INCIDENT_FORM}.xml"):
        response = client.get(url, secure=True, HTTP_X_OPENROSA_VERSION="1.0")
        assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")


def test_an_unknown_form_is_not_found(client, monitor_device, geography):
    assert client.get("/openrosa/forms/nope.xml", secure=True, **monitor_device).status_code == 404


def test_the_xlsform_download_is_for_those_who_record_incidents(client, signed_in, reader, geography):
    url = reverse("openrosa:xlsform-download", args=[INCIDENT_FORM])
    assert client.get(url)["Location"].startswith(reverse("accounts:login"))
    assert signed_in(reader).get(url).status_code == 403


def test_the_help_page_explains_the_configuration(signed_in, caseworker_in_area, geography):
    page = signed_in(caseworker_in_area).get(reverse("openrosa:help"))
    content = page.content.decode()
    assert page.status_code == 200
    assert "http://testserver/openrosa<" in content.replace("</code>", "<")
    assert reverse("accounts:device-list") in content
    for form in form_definitions():
        assert (
            reverse("openrosa:xlsform-download", args=[form.form_id]) in content and form.version in content
        )


def test_the_help_page_offers_a_monitor_the_monitoring_form_only(signed_in, monitor, geography):
    content = signed_in(monitor).get(reverse("openrosa:help")).content.decode()
    assert reverse("openrosa:xlsform-download", args=[INCIDENT_FORM]) in content
    assert reverse("openrosa:xlsform-download", args=[GBV_FORM]) not in content


def test_the_help_page_is_not_for_readers(signed_in, reader):
    assert signed_in(reader).get(reverse("openrosa:help")).status_code == 403
