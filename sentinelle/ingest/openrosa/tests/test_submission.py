import pytest
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from sentinelle.accounts.devices import device_credential_revoke
from sentinelle.accounts.models import DeviceCredential
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.monitoring.models import GBVIncident, Incident
from sentinelle.monitoring.tests.factories import days_ago

from .conftest import basic
from .odk import build_submission, instance_id_of

pytestmark = pytest.mark.django_db
SUBMISSION = "/openrosa/submission"


def incident_answers(**overrides) -> dict:
    """A monitor's protection incident in Sévaré: two men killed, one girl injured, by an armed group."""
    answers = {
        "date_start": days_ago(6).isoformat(),
        "date_estimated": "no",
        "date_reported": days_ago(2).isoformat(),
        "region": "ML05",
        "cercle": "ML0501",
        "commune": "ML050101",
        "coordinates": "14.4843 -4.1827 265.0 8.0",
        "categories": "life integrity",
        "perpetrator_category": "nsag",
        "summary": "Deux civils tués et une fille blessée lors d'une attaque sur la route du marché.",
        "account": "Récit confidentiel : témoin rencontré au marché de Sévaré.",
        "has_victims": "yes",
        "victims": [
            {"victim_outcome": "killed", "victim_sex": "m", "victim_age_group": "18_59", "victim_count": "2"},
            {
                "victim_outcome": "injured",
                "victim_sex": "f",
                "victim_age_group": "12_17",
                "victim_count": "1",
            },
        ],
        "displaced_households": "4",
        "displaced_individuals": "23",
        "source_mechanism": "monitoring_interview",
        "reliability": "b",
        "sharing_level": "organisation",
    }
    answers.update(overrides)
    return answers


def gbv_answers(**overrides) -> dict:
    answers = {
        "consent_to_report": "yes",
        "date_start": days_ago(20).isoformat(),
        "date_estimated": "no",
        "date_reported": days_ago(3).isoformat(),
        "time_of_day": "night",
        "region": "ML05",
        "cercle": "ML0501",
        "location_type": "bush",
        "survivor_code": "S-0042",
        "survivor_sex": "f",
        "survivor_age": "15",
        "displacement_status": "idp",
        "displacement_stage": "during_refuge",
        "marital_status": "single",
        "disability": "no",
        "separation_status": "no",
        # The tool: "no" to penetration, "yes" to unwanted sexual contact; later questions not asked.
        "penetration": "no",
        "sexual_contact": "yes",
        "harmful_practice": "no",
        "goods_exchanged": "yes",
        "abduction_type": "none",
        "reported_elsewhere": "no",
        "previous_incidents": "unknown",
        "perpetrator_count": "1",
        "perpetrator_sex": "m",
        "perpetrator_age_group": "26_40",
        "perpetrator_relationship": "community_member",
        "previous_incident_with_perpetrator": "no",
        "perpetrator_category": "criminal",
        "referred_from": "health",
        "referral_health": "referred",
        "referral_psychosocial": "provided_by_agency",
        "wants_legal_action": "undecided",
        "summary": "Une adolescente déplacée, survivante d'agression sexuelle, orientée vers les soins.",
        "account": "Récit confidentiel de la survivante.",
        "source_mechanism": "gbvims",
    }
    answers.update(overrides)
    return answers


def post(client, xml: bytes, headers: dict, *, content_type="text/xml", name="xml_submission_file", **extra):
    data = {name: SimpleUploadedFile("submission.xml", xml, content_type=content_type), **extra}
    return client.post(SUBMISSION, data, secure=True, **headers)


def message_of(response) -> str:
    return response.content.decode()


def test_head_answers_204_with_the_openrosa_headers(client, monitor_device):
    response = client.head(SUBMISSION, secure=True, **monitor_device)
    assert response.status_code == 204
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["X-OpenRosa-Accept-Content-Length"] == str(10 * 1024 * 1024)
    assert "GMT" in response["Date"]


def test_head_announces_the_configured_limit(client, monitor_device, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "OPENROSA_MAX_BYTES": 5000}
    assert (
        client.head(SUBMISSION, secure=True, **monitor_device)["X-OpenRosa-Accept-Content-Length"] == "5000"
    )


def test_a_good_submission_becomes_a_submitted_incident_of_the_monitors_organisation(
    client, monitor, alpha, commune, monitor_device, xform_of
):
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers())
    response = post(client, xml, monitor_device)

    assert response.status_code == 201, message_of(response)
    assert response["X-OpenRosa-Version"] == "1.0"
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    body = message_of(response)
    assert 'xmlns="http://openrosa.org/http/response"' in body and 'nature="submit_success"' in body
    incident = Incident.objects.get()
    assert incident.reference in body
    assert (incident.organisation, incident.status, incident.channel) == (alpha, "submitted", "odk")
    assert incident.source_id == instance_id_of(xml) and incident.created_by == monitor
    assert incident.area == commune
    assert sorted(incident.category_links.values_list("category", flat=True)) == ["integrity", "life"]
    cells = set(incident.victim_counts.values_list("outcome", "sex", "age_group", "count"))
    assert cells == {("killed", "m", "18_59", 2), ("injured", "f", "12_17", 1)}
    assert (incident.displaced_households, incident.displaced_individuals, incident.reliability) == (
        4,
        23,
        "b",
    )
    assert incident.coordinates == "14.484300,-4.182700"
    # The account and the position are encrypted at rest.
    with connection.cursor() as cursor:
        cursor.execute("SELECT account, coordinates FROM monitoring_incident WHERE id = %s", [incident.pk])
        raw = cursor.fetchone()
    assert "Sévaré" not in raw[0] and "14.48" not in raw[1]
    assert incident.account.startswith("Récit confidentiel")
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(incident.public_id)).exists()


def test_a_repeated_instance_id_is_acknowledged_and_not_duplicated(client, monitor_device, xform_of):
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers())
    first = post(client, xml, monitor_device)
    second = post(client, xml, monitor_device)
    assert first.status_code == 201 and second.status_code == 201
    assert 'nature="submit_success"' in message_of(second)
    assert Incident.objects.count() == 1


def test_the_same_instance_id_with_other_answers_is_a_conflict(client, monitor_device, xform_of):
    xform = xform_of("sentinelle_incident")
    xml = build_submission(xform, incident_answers())
    assert post(client, xml, monitor_device).status_code == 201
    changed = build_submission(
        xform, incident_answers(perpetrator_category="militia"), instance_id=instance_id_of(xml)
    )
    response = post(client, changed, monitor_device)
    assert response.status_code == 409
    assert Incident.objects.get().perpetrator_category == "nsag"
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, detail__reason="conflict").exists()


@pytest.mark.parametrize(
    "xml",
    [
        b"<data id='sentinelle_incident'><meta><instanceID>uuid:1</instanceID></meta>",
        b"not xml at all",
        "<data id='sentinelle_incident'>\u00e9</data>".encode("latin-1"),
    ],
    ids=["unclosed", "text", "latin-1"],
)
def test_malformed_xml_is_refused_and_nothing_written(client, monitor_device, geography, xml):
    response = post(client, xml, monitor_device)
    assert response.status_code == 400
    assert "OpenRosaResponse" in message_of(response)
    assert not Incident.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, detail__channel="odk").exists()


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE data [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE data SYSTEM "file:///etc/passwd">',
    ],
    ids=["entity-expansion", "external-dtd"],
)
def test_a_dtd_or_entity_declaration_is_refused(client, monitor_device, xform_of, prolog):
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers(summary="&b;"))
    xml = xml.replace(b"?>", b"?>" + prolog.encode(), 1)
    response = post(client, xml, monitor_device)
    assert response.status_code == 400
    assert not Incident.objects.exists()


def test_a_utf16_document_cannot_hide_a_dtd(client, monitor_device, geography):
    xml = '<!DOCTYPE data [<!ENTITY a "x">]><data id="sentinelle_incident">&a;</data>'.encode("utf-16-le")
    assert post(client, xml, monitor_device).status_code == 400


def test_an_oversized_submission_is_refused_with_413(client, monitor_device, xform_of, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "OPENROSA_MAX_BYTES": 2000}
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers(account="x" * 5000))
    response = post(client, xml, monitor_device)
    assert response.status_code == 413
    assert not Incident.objects.exists()


def test_a_post_without_the_xml_part_is_refused(client, monitor_device, xform_of):
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers())
    assert post(client, xml, monitor_device, name="other.xml").status_code == 400
    assert post(client, xml, monitor_device, content_type="image/jpeg").status_code == 400
    raw = client.post(SUBMISSION, xml, content_type="text/xml", secure=True, **monitor_device)
    assert raw.status_code == 400
    assert not Incident.objects.exists()


def test_attachments_are_ignored_and_said_so(client, monitor_device, xform_of):
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers())
    photo = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    response = post(client, xml, monitor_device, **{"photo.jpg": photo})
    assert response.status_code == 201 and Incident.objects.count() == 1


def test_wrong_credentials_get_a_basic_challenge(client, monitor, geography, xform_of, monitor_device):
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers())
    for authorization in (None, basic("monitor", "wrong-secret"), basic("ghost", "x"), "Basic !!!"):
        headers = {"HTTP_X_OPENROSA_VERSION": "1.0"}
        if authorization:
            headers["HTTP_AUTHORIZATION"] = authorization
        response = post(client, xml, headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith('Basic realm="Sentinelle"')
        assert response["X-OpenRosa-Version"] == "1.0"
    assert not Incident.objects.exists()


def test_the_account_password_is_not_accepted(client, monitor, password, geography):
    headers = {"HTTP_AUTHORIZATION": basic("monitor", password), "HTTP_X_OPENROSA_VERSION": "1.0"}
    assert client.head(SUBMISSION, secure=True, **headers).status_code == 401


def test_a_revoked_device_is_refused(client, monitor, monitor_device, xform_of):
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers())
    device_credential_revoke(actor=monitor, credential=DeviceCredential.objects.get(user=monitor))
    assert post(client, xml, monitor_device).status_code == 401
    assert not Incident.objects.exists()


def test_a_user_who_may_not_record_is_refused_with_403(client, reader, xform_of):
    # Readers cannot create device passwords; give one anyway to prove the endpoint checks the role.
    DeviceCredential.objects.create(user=reader, label="x", secret_hash=make_password("s3cret"))
    headers = {"HTTP_AUTHORIZATION": basic("reader", "s3cret"), "HTTP_X_OPENROSA_VERSION": "1.0"}
    xml = build_submission(xform_of("sentinelle_incident"), incident_answers())
    assert client.head(SUBMISSION, secure=True, **headers).status_code == 403
    response = post(client, xml, headers)
    assert response.status_code == 403
    assert not Incident.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.DENIED, user=reader).exists()


def test_plain_http_is_refused_outside_debug(client, monitor_device, geography):
    assert client.head(SUBMISSION, **monitor_device).status_code == 403
    response = client.get("/openrosa/formList", **monitor_device)
    assert response.status_code == 403 and "https://" in message_of(response)


def test_a_browser_is_sent_to_the_help_page(client, signed_in, monitor):
    assert client.get(SUBMISSION)["Location"].startswith(reverse("accounts:login"))
    assert signed_in(monitor).get(SUBMISSION)["Location"] == reverse("openrosa:help")


def test_get_is_not_a_submission(client, monitor_device):
    assert client.get(SUBMISSION, secure=True, **monitor_device).status_code == 405


def test_invalid_answers_are_refused_with_messages_naming_the_questions(client, monitor_device, xform_of):
    answers = incident_answers(
        date_start=days_ago(-3).isoformat(), categories="", commune="", cercle="ML9999"
    )
    response = post(client, build_submission(xform_of("sentinelle_incident"), answers), monitor_device)
    assert response.status_code == 400
    body = message_of(response)
    assert "ML9999" in body and "Cercle" in body
    assert not Incident.objects.exists()


def test_invalid_dates_are_refused(client, monitor_device, xform_of):
    answers = incident_answers(date_start=days_ago(-3).isoformat())
    response = post(client, build_submission(xform_of("sentinelle_incident"), answers), monitor_device)
    assert response.status_code == 400 and not Incident.objects.exists()


def test_an_unknown_form_is_refused(client, monitor_device, geography):
    xml = b"<data id='kobo_other' version='1'><meta><instanceID>uuid:x</instanceID></meta></data>"
    response = post(client, xml, monitor_device)
    assert response.status_code == 404 and "kobo_other" in message_of(response)


def test_grave_violations_and_explosive_sections(client, monitor_device, xform_of):
    answers = incident_answers(
        categories="life child_rights explosive",
        has_victims="no",
        violation_number="2",
        violations=[
            {
                "violation_type": "killing",
                "perpetrator_party": "nsag",
                "verification": "pending",
                "violation_victims": [{"child_sex": "m", "child_age_group": "12_17", "child_count": "2"}],
            },
            {
                "violation_type": "attack_school",
                "perpetrator_party": "unknown",
                "verification": "unverified",
                "facility": "École de Sévaré",
            },
        ],
        device_type="ied",
        activity="travelling",
        has_casualties="yes",
        casualties=[
            {
                "casualty_sex": "m",
                "casualty_age": "14",
                "casualty_outcome": "killed",
                "casualty_civilian": "yes",
            },
            {
                "casualty_sex": "m",
                "casualty_age": "15",
                "casualty_outcome": "killed",
                "casualty_civilian": "yes",
            },
        ],
    )
    response = post(client, build_submission(xform_of("sentinelle_incident"), answers), monitor_device)
    assert response.status_code == 201, message_of(response)
    incident = Incident.objects.get()
    violations = {v.type: v for v in incident.violations.all()}
    assert set(violations) == {"killing", "attack_school"}
    assert violations["attack_school"].facility == "École de Sévaré"
    assert list(violations["killing"].victims.values_list("sex", "age_group", "count")) == [("m", "12_17", 2)]
    assert incident.explosive.device_type == "ied" and incident.explosive.casualties.count() == 2


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ({"penetration": "yes"}, "rape"),
        ({"penetration": "no", "sexual_contact": "yes"}, "sexual_assault"),
        (
            {
                "penetration": "no",
                "sexual_contact": "no",
                "physical_assault": "no",
                "forced_marriage": "yes",
            },
            "forced_marriage",
        ),
        (
            {
                "penetration": "no",
                "sexual_contact": "no",
                "physical_assault": "no",
                "forced_marriage": "no",
                "denial_of_resources": "no",
                "psychological_abuse": "no",
                "is_gbv": "no",
            },
            "non_gbv",
        ),
    ],
)
def test_a_gbv_submission_gets_the_type_the_tool_derives(
    client, caseworker_in_area, xform_of, tool, expected
):
    from sentinelle.accounts.devices import device_credential_create

    _credential, secret = device_credential_create(actor=caseworker_in_area, label="Tablette VBG")
    headers = {"HTTP_AUTHORIZATION": basic("cw_mopti", secret), "HTTP_X_OPENROSA_VERSION": "1.0"}
    answers = {**gbv_answers(penetration="", sexual_contact=""), **tool}
    response = post(client, build_submission(xform_of("sentinelle_vbg"), answers), headers)
    assert response.status_code == 201, message_of(response)
    incident = Incident.objects.get()
    gbv = incident.gbv
    assert gbv.gbv_type == expected
    assert [key for key, _answer in gbv.classification_answers] == [
        key for key, value in tool.items() if value
    ]
    assert gbv.consent_to_report and gbv.survivor_age == 15 and gbv.survivor_code == "S-0042"
    assert gbv.referrals == {"health": "referred", "psychosocial": "provided_by_agency"}
    assert list(incident.category_links.values_list("category", flat=True)) == ["gbv"]
    # One survivor: the victim count is derived from the survivor.
    assert list(incident.victim_counts.values_list("sex", "age_group", "count")) == [("f", "12_17", 1)]
    if expected == "sexual_assault":
        assert gbv.is_child_sexual_abuse and gbv.is_possible_sexual_exploitation


def test_a_gbv_submission_that_contradicts_the_tool_is_refused(client, caseworker_device, xform_of):
    tool = dict.fromkeys(
        ["penetration", "sexual_contact", "physical_assault", "forced_marriage", "denial_of_resources"], "no"
    )
    answers = {**gbv_answers(), **tool, "psychological_abuse": "no", "is_gbv": "yes"}
    response = post(client, build_submission(xform_of("sentinelle_vbg"), answers), caseworker_device)
    assert response.status_code == 400
    assert "classification" in message_of(response).lower()
    assert not Incident.objects.exists()


# --- GBV allegations (issue 14, point 2) -------------------------------------------------------------


def test_a_monitors_gbv_allegation_is_received_without_survivor_details(
    client, monitor_device, commune, xform_of
):
    answers = incident_answers(
        categories="gbv",
        perpetrator_category="nsag",
        summary="Allégation de viols de femmes au point d'eau, rapportée par une leader communautaire.",
        victims=[
            {
                "victim_outcome": "affected",
                "victim_sex": "f",
                "victim_age_group": "unknown",
                "victim_count": "3",
            }
        ],
        displaced_households="",
        displaced_individuals="",
        coordinates="",
    )
    response = post(client, build_submission(xform_of("sentinelle_incident"), answers), monitor_device)
    assert response.status_code == 201, message_of(response)
    incident = Incident.objects.get()
    assert list(incident.category_links.values_list("category", flat=True)) == ["gbv"]
    assert not GBVIncident.objects.exists() and incident.victims_total == 3


def test_the_gbv_form_sent_from_a_monitors_device_is_refused_and_nothing_written(
    client, monitor_device, xform_of
):
    response = post(client, build_submission(xform_of("sentinelle_vbg"), gbv_answers()), monitor_device)
    assert response.status_code == 403
    assert "prestataires de services VBG" in message_of(response)
    assert not Incident.objects.exists() and not GBVIncident.objects.exists()
    denied = AuditEntry.objects.get(action=AuditAction.DENIED)
    assert denied.detail["reason"] == "form_not_allowed" and "S-0042" not in str(denied.detail)


def test_a_client_that_behaves_like_odk_collect(client, monitor, monitor_device, geography):
    """formList -> download -> HEAD (first without credentials: 401) -> multipart POST -> 201."""
    openrosa = {"HTTP_X_OPENROSA_VERSION": "1.0", "HTTP_ACCEPT_LANGUAGE": "fr"}
    assert client.get("/openrosa/formList", secure=True, **openrosa).status_code == 401
    listing = client.get("/openrosa/formList", secure=True, **monitor_device)
    assert listing.status_code == 200
    download = listing.content.decode().split("<downloadUrl>")[1].split("</downloadUrl>")[0]
    xform = client.get(download.replace("https://testserver", ""), secure=True, **monitor_device).content
    assert client.head(SUBMISSION, secure=True, **openrosa).status_code == 401
    assert client.head(SUBMISSION, secure=True, **monitor_device).status_code == 204
    xml = build_submission(xform, incident_answers())
    response = client.post(
        SUBMISSION,
        {"xml_submission_file": SimpleUploadedFile("collect.xml", xml, content_type="text/xml")},
        secure=True,
        **monitor_device,
    )
    assert response.status_code == 201
    assert Incident.objects.get(source_id=instance_id_of(xml)).created_by == monitor


def test_an_older_version_of_a_known_form_is_accepted_but_a_missing_version_is_not(
    client, monitor_device, xform_of
):
    """Forms filled offline before the area lists or translations changed must still arrive."""
    xform = xform_of("sentinelle_incident")
    older = build_submission(xform, incident_answers()).replace(b'version="', b'version="0ld', 1)
    assert post(client, older, monitor_device).status_code == 201
    unversioned = build_submission(xform, incident_answers())
    unversioned = unversioned.replace(b'version="', b'data-version="', 1)
    assert post(client, unversioned, monitor_device).status_code == 400
    assert Incident.objects.count() == 1


def test_an_edited_form_of_a_received_submission_is_a_conflict(client, monitor_device, xform_of):
    xform = xform_of("sentinelle_incident")
    original = build_submission(xform, incident_answers())
    assert post(client, original, monitor_device).status_code == 201
    edited = build_submission(xform, incident_answers(summary="Corrigé"))
    edited = edited.replace(
        b"</instanceID>",
        b"</instanceID><deprecatedID>" + instance_id_of(original).encode() + b"</deprecatedID>",
    )
    assert post(client, edited, monitor_device).status_code == 409
    assert Incident.objects.count() == 1
