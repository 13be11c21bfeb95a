"""Incident pages: who reaches what, what the form records, and that refused actions change nothing."""

import pytest
from django.urls import reverse
from django.utils import translation

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core.models import AuditEntry, Role
from sentinelle.monitoring.classification import QUESTION_TEXTS
from sentinelle.monitoring.models import GBVIncident, Incident, IncidentEvent, IncidentStatus
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    days_ago,
    gbv_incident_input,
    make_incident,
    record_incident,
)

pytestmark = pytest.mark.django_db

LIST = reverse("monitoring:incident-list")
CREATE = reverse("monitoring:incident-create")
PART = reverse("monitoring:incident-form-part")


def url(name, incident):
    return reverse(f"monitoring:{name}", kwargs={"public_id": incident.public_id})


@pytest.fixture
def cercle(mopti):
    return cercle_of(mopti, pcode="ML0501", name_fr="Mopti cercle")


@pytest.fixture
def commune(cercle):
    return commune_of(cercle, pcode="ML050101", name_fr="Socoura")


@pytest.fixture
def draft(monitor, cercle):
    return record_incident(monitor, cercle)


@pytest.fixture
def submitted(monitor, cercle):
    return record_incident(monitor, cercle, submit=True)


@pytest.fixture
def beta_monitor(beta):
    return make_member(Role.MONITOR, beta, username="monitor_beta")


def form_data(cercle, **overrides):
    """What the browser posts for a simple incident: two men killed in a cercle, saved as draft."""
    data = {
        "cod_version": cercle.version.code,
        "date_start": days_ago(5).isoformat(),
        "date_reported": days_ago(2).isoformat(),
        "region": cercle.parent.pcode,
        "cercle": cercle.pcode,
        "categories": ["life"],
        "perpetrator_category": "nsag",
        "summary": "Deux hommes tués sur la route.",
        "account": "Récit confidentiel.",
        "v_killed_m_18_59": "2",
        "source_mechanism": "monitoring_interview",
        "reliability": "b",
        "sharing_level": "organisation",
        "save_draft": "1",
    }
    data.update(overrides)
    return data


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["reader", "focal_point", "nobody"])
def test_roles_without_incidents_get_403_on_the_list_and_the_form(request, signed_in, actor):
    client = signed_in(request.getfixturevalue(actor))
    assert client.get(LIST).status_code == 403
    assert client.get(CREATE).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_reader_never_reaches_an_incident(signed_in, reader, submitted):
    assert signed_in(reader).get(url("incident-detail", submitted)).status_code == 403


def test_monitor_of_another_organisation_gets_404_on_a_draft(signed_in, beta_monitor, draft):
    client = signed_in(beta_monitor)
    assert client.get(url("incident-detail", draft)).status_code == 404
    assert client.get(url("incident-edit", draft)).status_code == 404
    assert draft.reference not in client.get(LIST).content.decode()


def test_monitor_sees_the_confidential_account_of_their_incident(signed_in, monitor, draft):
    response = signed_in(monitor).get(url("incident-detail", draft))
    assert response.status_code == 200
    assert "Récit confidentiel" in response.content.decode()
    assert response.context["can_submit"] and not response.context["can_review"]


def test_imo_does_not_see_the_account_shared_with_the_organisation_only(signed_in, imo, submitted):
    assert submitted.sharing_level == "organisation"
    response = signed_in(imo).get(url("incident-detail", submitted))
    assert response.status_code == 200
    assert response.context["confidential"] is None
    assert "Récit confidentiel" not in response.content.decode()
    assert response.context["can_review"] and not response.context["can_edit"]


def test_imo_sees_the_account_shared_with_the_cluster_and_the_read_is_audited(
    signed_in, imo, monitor, cercle
):
    incident = record_incident(monitor, cercle, submit=True, sharing_level="cluster")
    response = signed_in(imo).get(url("incident-detail", incident))
    assert "Récit confidentiel" in response.content.decode()
    assert AuditEntry.objects.filter(
        username="imo", object_id=str(incident.public_id), detail__confidential=True
    )


def test_detail_shows_timeline_map_and_gbv_derivation(signed_in, manager, caseworker_in_area, cercle):
    incident = record_incident(
        caseworker_in_area,
        cercle,
        data=gbv_incident_input(cercle, gbv={"answers": {"penetration": False, "sexual_contact": True}}),
        submit=True,
    )
    response = signed_in(manager).get(url("incident-detail", incident))
    html = response.content.decode()
    assert "<svg" in html and 'id="timeline"' in html
    assert response.context["gbv"].gbv_type == "sexual_assault"
    with translation.override("fr"):
        question = str(QUESTION_TEXTS["sexual_contact"])
    assert question in response.context["gbv_explanation"][0]
    assert [entry["event"].kind for entry in response.context["timeline"]] == ["created", "submitted"]


def test_survivor_details_are_shown_only_to_gbv_service_providers_and_their_reads_audited(
    signed_in, monitor, manager, imo, caseworker_in_area, cercle
):
    incident = record_incident(
        caseworker_in_area,
        cercle,
        data=gbv_incident_input(cercle, gbv={"survivor_age": 19}),
        submit=True,
    )
    # A monitor of the organisation and the IMO may read the incident, not the survivor's record.
    for reader in (monitor, imo):
        response = signed_in(reader).get(url("incident-detail", incident))
        html = response.content.decode()
        assert response.status_code == 200 and response.context["gbv"] is None
        assert 'data-testid="gbv-withheld"' in html and "gbv-allegation" not in html
        assert "19" not in html.split('data-testid="gbv-withheld"')[1].split("</section>")[0]
    assert not AuditEntry.objects.filter(object_id=str(incident.public_id), detail__survivor=True).exists()
    # The case worker's manager is a GBV service provider: the record is shown and the read audited.
    response = signed_in(manager).get(url("incident-detail", incident))
    assert response.context["gbv"].survivor_age == 19 and "gbv-withheld" not in response.content.decode()
    assert AuditEntry.objects.filter(
        username=manager.username, object_id=str(incident.public_id), detail__survivor=True
    ).exists()


# --- Recording through the form --------------------------------------------------------------------


def test_monitor_records_a_draft_through_the_form(signed_in, monitor, cercle, commune):
    data = form_data(cercle, commune=commune.pcode, coordinates="14.49 ; -4.19")
    response = signed_in(monitor).post(CREATE, data)
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == url("incident-detail", incident)
    assert incident.status == IncidentStatus.DRAFT
    assert incident.area == commune
    assert incident.coordinates == "14.49000,-4.19000"
    assert incident.killed_total == 2
    assert [(v.outcome, v.sex, v.age_group, v.count) for v in incident.victim_counts.all()] == [
        ("killed", "m", "18_59", 2)
    ]


def test_save_and_submit_submits(signed_in, monitor, cercle):
    data = form_data(cercle)
    del data["save_draft"]
    signed_in(monitor).post(CREATE, {**data, "save_submit": "1"})
    assert Incident.objects.get().status == IncidentStatus.SUBMITTED


def test_service_errors_are_shown_next_to_their_fields_and_nothing_is_saved(signed_in, monitor, cercle):
    data = form_data(cercle, date_start=days_ago(1).isoformat(), date_reported=days_ago(3).isoformat())
    data["categories"] = []
    response = signed_in(monitor).post(CREATE, data)
    assert response.status_code == 200
    main = response.context["entry"].main
    assert main.errors["date_reported"] and main.errors["categories"]
    html = response.content.decode()
    assert 'id="f-date_reported"' in html and "errorlist" in html
    assert not Incident.objects.exists()


def test_the_cercle_is_required(signed_in, monitor, cercle):
    response = signed_in(monitor).post(CREATE, {**form_data(cercle), "cercle": ""})
    assert "cercle" in response.context["entry"].main.errors
    assert not Incident.objects.exists()


def test_ticking_gbv_without_javascript_shows_the_section_before_saving(
    signed_in, caseworker_in_area, cercle
):
    data = form_data(cercle, categories=["gbv"], gbv_level="survivor")
    response = signed_in(caseworker_in_area).post(CREATE, data)
    assert response.status_code == 200
    assert response.context["entry"].missing_sections
    assert 'id="section-gbv"' in response.content.decode() and 'name="gbv-survivor_sex"' in (
        response.content.decode()
    )
    assert not Incident.objects.exists()


# --- GBV allegations (issue 14, point 2) -------------------------------------------------------------


def test_the_monitors_form_never_asks_about_the_survivor(signed_in, monitor, cercle):
    client = signed_in(monitor)
    html = client.post(f"{PART}?part=sections", form_data(cercle, categories=["gbv"])).content.decode()
    assert 'data-testid="gbv-allegation"' in html
    assert "gbv-survivor" not in html and "gbv_level" not in html and "consent_to_report" not in html


def test_a_gbv_service_provider_chooses_between_the_allegation_and_the_survivors_record(
    signed_in, caseworker_in_area, cercle
):
    client = signed_in(caseworker_in_area)
    allegation = client.post(f"{PART}?part=sections", form_data(cercle, categories=["gbv"])).content.decode()
    assert 'name="gbv_level"' in allegation and 'data-testid="gbv-allegation"' in allegation
    assert "gbv-survivor_sex" not in allegation
    data = form_data(cercle, categories=["gbv"], gbv_level="survivor")
    record = client.post(f"{PART}?part=sections", data).content.decode()
    assert 'name="gbv_level"' in record and 'name="gbv-survivor_sex"' in record


def test_a_monitor_records_a_gbv_allegation_through_the_form(signed_in, monitor, manager, cercle):
    data = form_data(
        cercle,
        categories=["gbv"],
        summary="Allégation de viol de deux femmes au point d'eau, rapportée par un leader.",
        v_killed_m_18_59="",
        v_affected_f_unknown="2",
    )
    response = signed_in(monitor).post(CREATE, data)
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == url("incident-detail", incident)
    assert list(incident.category_links.values_list("category", flat=True)) == ["gbv"]
    assert not GBVIncident.objects.exists() and incident.victims_total == 2
    detail = signed_in(manager).get(url("incident-detail", incident))
    html = detail.content.decode()
    assert detail.context["gbv_allegation"] and detail.context["gbv"] is None
    assert 'data-testid="gbv-allegation"' in html and "Type derived" not in html


def test_survivor_details_posted_by_a_monitor_are_refused_and_nothing_is_saved(signed_in, monitor, cercle):
    data = form_data(cercle, categories=["gbv"], sections=["gbv"], **{"gbv-survivor_sex": "f"})
    response = signed_in(monitor).post(CREATE, data)
    assert response.status_code == 200
    assert "prestataire de services VBG" in " ".join(response.context["entry"].main.non_field_errors())
    assert not Incident.objects.exists() and not GBVIncident.objects.exists()


def test_a_gbv_incident_is_recorded_with_its_derived_type(signed_in, caseworker_in_area, cercle):
    data = form_data(
        cercle,
        categories=["gbv"],
        sections=["gbv"],
        v_killed_m_18_59="",
        v_affected_f_18_59="1",
        **{
            "gbv-survivor_sex": "f",
            "gbv-survivor_age": "19",
            "gbv-displacement_status": "idp",
            "gbv-disability": "no",
            "gbv-marital_status": "single",
            "gbv-separation_status": "no",
            "gbv-displacement_stage": "not_displaced",
            "gbv-time_of_day": "night",
            "gbv-location_type": "bush",
            "gbv-q_penetration": "no",
            "gbv-q_sexual_contact": "no",
            "gbv-q_physical_assault": "yes",
            "gbv-q_forced_marriage": "yes",  # after the first yes: never part of the answers
            "gbv-harmful_practice": "no",
            "gbv-goods_exchanged": "unknown",
            "gbv-abduction_type": "none",
            "gbv-reported_elsewhere": "no",
            "gbv-previous_incidents": "unknown",
            "gbv-perpetrator_count": "1",
            "gbv-perpetrator_sex": "m",
            "gbv-perpetrator_age_group": "unknown",
            "gbv-perpetrator_relationship": "intimate_partner",
            "gbv-previous_incident_with_perpetrator": "unknown",
            "gbv-referred_from": "self",
            "gbv-wants_legal_action": "undecided",
            "gbv-consent_to_report": "on",
            "gbv-ref_health": "referred",
        },
    )
    response = signed_in(caseworker_in_area).post(CREATE, data)
    assert response.status_code == 302, response.context["entry"].gbv.errors
    gbv = GBVIncident.objects.get()
    assert gbv.gbv_type == "physical_assault"
    assert gbv.classification_answers == [
        ["penetration", False],
        ["sexual_contact", False],
        ["physical_assault", True],
    ]
    assert gbv.is_intimate_partner_violence and gbv.consent_to_report
    assert gbv.referrals == {"health": "referred"}


def test_grave_violation_and_explosive_sections_are_recorded(signed_in, monitor, cercle):
    data = form_data(
        cercle,
        categories=["child_rights", "explosive"],
        sections=["violations", "explosive"],
        v_killed_m_18_59="",
        v_killed_m_12_17="1",
        **{
            "violations-TOTAL_FORMS": "2",
            "violations-INITIAL_FORMS": "0",
            "violations-0-type": "killing",
            "violations-0-perpetrator_party": "nsag",
            "violations-0-verification": "pending",
            "violations-0-c_m_12_17": "1",
            "violations-1-verification": "pending",
            "explosive-device_type": "ied",
            "explosive-activity": "travelling",
            "casualties-TOTAL_FORMS": "2",
            "casualties-INITIAL_FORMS": "0",
            "casualties-0-outcome": "killed",
            "casualties-0-sex": "m",
            "casualties-0-age": "15",
            "casualties-0-civilian": "on",
            "casualties-1-civilian": "on",
        },
    )
    response = signed_in(monitor).post(CREATE, data)
    assert response.status_code == 302, response.context["entry"].section_errors
    incident = Incident.objects.get()
    assert [v.type for v in incident.violations.all()] == ["killing"]
    assert [(c.outcome, c.age) for c in incident.explosive.casualties.all()] == [("killed", 15)]


def test_add_a_violation_row_saves_nothing(signed_in, monitor, cercle):
    data = form_data(cercle, categories=["child_rights"], sections=["violations"], add_violation="1")
    data.update({"violations-TOTAL_FORMS": "1", "violations-INITIAL_FORMS": "0"})
    response = signed_in(monitor).post(CREATE, data)
    assert len(response.context["entry"].violations.forms) == 2
    assert not Incident.objects.exists()


# --- The form's HTMX parts ---------------------------------------------------------------------------


def test_location_part_offers_the_communes_of_the_cercle(signed_in, monitor, cercle, commune):
    response = signed_in(monitor).post(
        f"{PART}?part=location", {"cod_version": cercle.version.code, "cercle": cercle.pcode}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="location"') and "Socoura" in html
    assert "errorlist" not in html  # a refresh is not a submission


def test_sections_part_shows_the_ticked_sections_only(signed_in, monitor, cercle):
    response = signed_in(monitor).post(f"{PART}?part=sections", {"categories": ["gbv", "life"]})
    html = response.content.decode()
    assert 'id="section-gbv"' in html and 'id="section-violations"' not in html


def test_gbv_tool_part_asks_the_next_question_then_shows_the_type(signed_in, monitor, cercle):
    client = signed_in(monitor)
    first = client.post(f"{PART}?part=gbv_tool", {"sections": "gbv", "gbv-q_penetration": "no"})
    assert len(first.context["entry"].gbv.tool()["questions"]) == 2
    done = client.post(
        f"{PART}?part=gbv_tool", {"sections": "gbv", "gbv-q_penetration": "no", "gbv-q_sexual_contact": "yes"}
    )
    assert 'data-testid="gbv-type"' in done.content.decode()


def test_unknown_part_is_404_and_parts_are_post_only(signed_in, monitor, cercle):
    client = signed_in(monitor)
    assert client.post(f"{PART}?part=other", {}).status_code == 404
    assert client.get(f"{PART}?part=location").status_code == 405


# --- Edit and workflow ------------------------------------------------------------------------------


def test_monitor_edits_their_draft(signed_in, monitor, draft, cercle):
    client = signed_in(monitor)
    assert (
        client.get(url("incident-edit", draft)).context["entry"].main["account"].value()
        == "Récit confidentiel recueilli lors d'un entretien de monitoring."
    )
    response = client.post(url("incident-edit", draft), form_data(cercle, summary="Résumé corrigé."))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.summary == "Résumé corrigé."
    assert draft.events.filter(kind=IncidentEvent.Kind.UPDATED).exists()


def test_monitor_cannot_edit_once_submitted(signed_in, monitor, submitted, cercle):
    response = signed_in(monitor).post(url("incident-edit", submitted), form_data(cercle, summary="Changé."))
    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.summary != "Changé."


def test_monitor_submits_a_draft(signed_in, monitor, draft):
    response = signed_in(monitor).post(url("incident-submit", draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == IncidentStatus.SUBMITTED


def test_imo_verifies_and_rejects(signed_in, imo, monitor, cercle):
    client = signed_in(imo)
    first = record_incident(monitor, cercle, submit=True)
    second = record_incident(monitor, cercle, submit=True)
    client.post(url("incident-verify", first))
    client.post(url("incident-reject", second), {"reason": "Information non recoupée."})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == IncidentStatus.VERIFIED and first.reviewed_by == imo
    assert second.status == IncidentStatus.REJECTED and second.rejection_reason == "Information non recoupée."


def test_refused_posts_change_nothing(signed_in, reader, monitor, beta_monitor, imo, submitted, draft):
    assert signed_in(reader).post(url("incident-verify", submitted)).status_code == 403
    assert signed_in(monitor).post(url("incident-verify", submitted)).status_code == 403
    assert signed_in(beta_monitor).post(url("incident-submit", draft)).status_code == 404
    assert signed_in(imo).post(url("incident-submit", draft)).status_code == 403
    assert signed_in(imo).get(url("incident-verify", submitted)).status_code == 405
    submitted.refresh_from_db()
    draft.refresh_from_db()
    assert (submitted.status, draft.status) == (IncidentStatus.SUBMITTED, IncidentStatus.DRAFT)


def test_wrong_transition_and_missing_reason_are_explained(signed_in, manager, draft, submitted):
    # The organisation's manager sees the draft (the IMO does not) but cannot verify it before submission.
    client = signed_in(manager)
    response = client.post(url("incident-verify", draft), follow=True)
    assert response.status_code == 200 and list(response.context["messages"])
    client.post(url("incident-reject", submitted), {"reason": " "})
    draft.refresh_from_db()
    submitted.refresh_from_db()
    assert (draft.status, submitted.status) == (IncidentStatus.DRAFT, IncidentStatus.SUBMITTED)


# --- The list ----------------------------------------------------------------------------------------


def test_list_filters_by_area_name_category_and_status(signed_in, imo, monitor, cercle, segou):
    other = cercle_of(segou, pcode="ML0401", name_fr="Barouéli")
    here = make_incident(actor=monitor, area=cercle, status="submitted")
    record_incident(make_member(Role.MONITOR, monitor.memberships.get().organisation), other, submit=True)
    client = signed_in(imo)
    response = client.get(LIST, {"area": "mopti", "status": "submitted", "category": "life"})
    assert [i.pk for i in response.context["page"]] == [here.pk]
    unknown = client.get(LIST, {"area": "Nulle-part"})
    assert unknown.context["form"].errors["area"]


def test_list_htmx_refresh_returns_the_rows_only(signed_in, imo, submitted):
    response = signed_in(imo).get(LIST, {"status": "submitted"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert submitted.reference in html and "<html" not in html


def test_list_page_queries_do_not_grow_with_rows(
    signed_in, imo, monitor, cercle, commune, django_assert_max_num_queries
):
    client = signed_in(imo)
    for _ in range(3):
        make_incident(actor=monitor, area=commune, status="submitted")
    client.get(LIST)  # warm the session and caches
    with django_assert_max_num_queries(16) as few:
        assert client.get(LIST).status_code == 200
    for _ in range(12):
        make_incident(actor=monitor, area=cercle, status="submitted")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"]) == 15
    assert "<circle" in response.content.decode()
