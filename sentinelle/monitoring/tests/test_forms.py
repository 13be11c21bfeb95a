"""The incident form shapes input into the services' arguments and puts their messages back on fields."""

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from sentinelle.core.forms import errors_shown_on
from sentinelle.monitoring.classification import QUESTIONS
from sentinelle.monitoring.forms import IncidentEntry, IncidentFilterForm, initial_from_incident
from sentinelle.monitoring.inputs import IncidentRow, ViolationVictimCell
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    days_ago,
    explosive_incident_input,
    gbv_incident_input,
    record_incident,
    victim,
    violation_incident_input,
    violation_input,
)
from sentinelle.monitoring.validation import incident_validate

pytestmark = pytest.mark.django_db

TYPE_QUESTIONS = [key for key, _type in QUESTIONS]


@pytest.fixture
def cercle(mopti):
    return cercle_of(mopti, pcode="ML0501", name_fr="Mopti cercle")


@pytest.fixture
def commune(cercle):
    return commune_of(cercle, pcode="ML050101", name_fr="Socoura")


def posted(cercle, **values) -> QueryDict:
    data = QueryDict(mutable=True)
    base = {
        "date_start": days_ago(5).isoformat(),
        "date_reported": days_ago(2).isoformat(),
        "region": cercle.parent.pcode,
        "cercle": cercle.pcode,
        "categories": "life",
        "perpetrator_category": "nsag",
        "source_mechanism": "media",
        "reliability": "c",
        "sharing_level": "cluster",
    }
    for key, value in {**base, **values}.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return data


def test_a_simple_incident_becomes_an_input(cercle, commune):
    entry = IncidentEntry(
        posted(
            cercle, commune=commune.pcode, v_injured_f_6_11="3", v_killed_m_18_59="0", coordinates="14.5,-4.2"
        )
    )
    assert entry.should_save and entry.is_valid(), entry.main.errors
    data = IncidentRow(**entry.incident_fields())
    assert data.area == commune and data.categories == ["life"]
    assert [(v.outcome, v.sex, v.age_group, v.count) for v in data.victims] == [("injured", "f", "6_11", 3)]
    assert data.coordinates == "14.50000,-4.20000"
    assert (data.gbv, data.violations, data.explosive) == (None, [], None)
    incident_validate(data)  # raises ValidationError when invalid


def test_the_cercle_alone_is_enough_and_a_commune_elsewhere_is_refused(cercle, commune, segou):
    assert IncidentEntry(posted(cercle)).is_valid()
    other = commune_of(cercle_of(segou, pcode="ML0401"), pcode="ML040101")
    entry = IncidentEntry(posted(cercle, commune=other.pcode))
    assert not entry.is_valid() and "commune" in entry.main.errors


def test_the_selects_are_chained(cercle, commune, segou):
    cercle_of(segou, pcode="ML0401", name_fr="Barouéli")
    form = IncidentEntry(posted(cercle)).main
    assert [code for code, _label in form.fields["cercle"].choices] == ["", "ML0501"]
    assert [code for code, _label in form.fields["commune"].choices] == ["", "ML050101"]
    unchosen = IncidentEntry(QueryDict()).main
    # Without a region every cercle is offered, grouped by region (usable without JavaScript).
    groups = [label for label, _options in unchosen.fields["cercle"].choices[1:]]
    assert groups == ["Mopti", "Ségou"]
    assert unchosen.fields["commune"].choices == [("", "—")]


def test_badly_written_coordinates_are_explained(cercle):
    entry = IncidentEntry(posted(cercle, coordinates="quatorze"))
    assert not entry.is_valid()
    assert entry.main.errors["coordinates"]


def test_a_ticked_section_not_yet_shown_is_shown_before_saving(cercle):
    provider = posted(cercle, categories=["gbv", "explosive"], gbv_level="survivor")
    entry = IncidentEntry(provider, survivor_details=True)
    assert entry.sections == {"gbv", "explosive"}
    assert entry.missing_sections and not entry.should_save
    assert not entry.gbv.is_bound  # the section starts from its initial values


def test_a_monitor_ticking_gbv_records_an_allegation_and_is_asked_nothing_about_the_survivor(cercle):
    entry = IncidentEntry(posted(cercle, categories=["gbv"], v_affected_f_unknown="2"))
    assert entry.sections == set() and entry.gbv_allegation and "gbv_level" not in entry.main.fields
    assert entry.should_save and entry.is_valid(), entry.main.errors
    data = IncidentRow(**entry.incident_fields())
    assert data.categories == ["gbv"] and data.gbv is None
    assert [(v.outcome, v.sex, v.age_group, v.count) for v in data.victims] == [
        ("affected", "f", "unknown", 2)
    ]
    incident_validate(data)  # raises ValidationError when invalid


def test_survivor_details_posted_by_a_monitor_are_refused_never_dropped(cercle):
    forged = posted(cercle, categories=["gbv"], sections="gbv", **{"gbv-survivor_sex": "f"})
    entry = IncidentEntry(forged)
    assert entry.should_save and not entry.is_valid()
    assert "prestataire de services VBG" in " ".join(entry.main.non_field_errors())


def test_a_provider_chooses_the_allegation_or_the_survivors_record(cercle):
    allegation = IncidentEntry(
        posted(cercle, categories=["gbv"], gbv_level="allegation"), survivor_details=True
    )
    assert allegation.sections == set() and allegation.gbv_allegation and allegation.is_valid()
    assert IncidentRow(**allegation.incident_fields()).gbv is None
    record = IncidentEntry(posted(cercle, categories=["gbv"], gbv_level="survivor"), survivor_details=True)
    assert record.sections == {"gbv"} and not record.gbv_allegation
    # Switched back to the allegation on a page that still shows the survivor section (no JavaScript): the
    # page is shown again without it before anything is saved.
    switched = posted(cercle, categories=["gbv"], gbv_level="allegation", sections="gbv")
    entry = IncidentEntry(switched, survivor_details=True)
    assert entry.missing_sections and not entry.should_save


def test_refresh_buttons_add_rows_and_save_nothing(cercle):
    entry = IncidentEntry(
        posted(
            cercle,
            categories="child_rights",
            sections="violations",
            add_violation="1",
            **{"violations-TOTAL_FORMS": "1", "violations-INITIAL_FORMS": "0"},
        )
    )
    assert entry.refresh and not entry.should_save
    assert len(entry.violations.forms) == 2


def gbv_form(answers: dict) -> IncidentEntry:
    data = QueryDict(mutable=True)
    data.update({"sections": "gbv", **{f"gbv-q_{key}": value for key, value in answers.items()}})
    return IncidentEntry(data)


@pytest.mark.parametrize(
    ("answers", "shown", "gbv_type"),
    [
        ({}, 1, None),
        ({"penetration": "yes", "sexual_contact": "yes"}, 1, "rape"),
        ({"penetration": "no"}, 2, None),
        (
            {"penetration": "no", "sexual_contact": "no", "physical_assault": "no", "forced_marriage": "yes"},
            4,
            "forced_marriage",
        ),
        (dict.fromkeys(TYPE_QUESTIONS, "no"), 7, None),
        ({**dict.fromkeys(TYPE_QUESTIONS, "no"), "is_gbv": "no"}, 7, "non_gbv"),
    ],
)
def test_the_classification_tool_asks_in_order_and_stops_at_the_first_yes(answers, shown, gbv_type):
    tool = gbv_form(answers).gbv.tool()
    assert len(tool["questions"]) == shown
    assert (tool["result"].gbv_type if tool["result"] else None) == gbv_type


def test_gbv_answered_yes_after_all_no_asks_to_start_again():
    answers = {**dict.fromkeys(TYPE_QUESTIONS, "no"), "is_gbv": "yes"}
    tool = gbv_form(answers).gbv.tool()
    assert tool["result"] is None and tool["problem"]


def test_answers_after_the_first_yes_are_not_kept():
    form = gbv_form({"penetration": "no", "sexual_contact": "yes", "physical_assault": "no"}).gbv
    assert form.raw_answers() == {"penetration": False, "sexual_contact": True}


def test_service_messages_go_back_to_their_fields(cercle):
    entry = IncidentEntry(
        posted(
            cercle,
            categories=["gbv", "child_rights", "explosive"],
            sections=["gbv", "violations", "explosive"],
        ),
        survivor_details=True,
    )
    entry.is_valid()
    with errors_shown_on(entry):  # the view's submit pattern
        raise ValidationError(
            {
                "date_reported": ["Avant l'incident."],
                "area": ["Hors de vos zones."],
                "victims": ["Un seul survivant."],
                "gbv.survivor_age": ["Âge invalide."],
                "gbv.answers": ["Répondez à la question."],
                "violations": ["Violation 1 : victimes manquantes."],
                "explosive.device_type": ["Engin inconnu."],
                "explosive.casualties": ["Trop de blessés."],
                "mystery": ["Autre problème."],
            }
        )
    assert "Avant l'incident." in entry.main.errors["date_reported"]
    assert "Hors de vos zones." in entry.main.errors["cercle"]
    assert "Autre problème." in entry.main.non_field_errors()
    assert "Âge invalide." in entry.gbv.errors["survivor_age"]
    assert "Engin inconnu." in entry.explosive.errors["device_type"]
    assert entry.section_errors == {
        "victims": ["Un seul survivant."],
        "gbv_tool": ["Répondez à la question."],
        "violations": ["Violation 1 : victimes manquantes."],
        "casualties": ["Trop de blessés."],
    }


def test_a_message_without_fields_is_shown_on_top(cercle):
    entry = IncidentEntry(posted(cercle))
    entry.is_valid()
    with errors_shown_on(entry):
        raise ValidationError("Impossible.")
    assert entry.main.non_field_errors() == ["Impossible."]


@pytest.mark.parametrize(
    "build",
    [gbv_incident_input, violation_incident_input, explosive_incident_input],
    ids=["gbv", "mrm", "eo"],
)
def test_editing_starts_from_the_recorded_incident_and_gives_it_back(
    monitor, caseworker_in_area, cercle, build
):
    """initial_from_incident -> the form as the browser posts it -> the same input again."""
    # Survivor details are a GBV service provider's to record and to edit.
    actor = caseworker_in_area if build is gbv_incident_input else monitor
    incident = record_incident(actor, cercle, data=build(cercle))
    entry = IncidentEntry(
        initial=initial_from_incident(incident, {"account": "Récit.", "coordinates": ""}),
        survivor_details=True,
    )
    assert entry.main["account"].value() == "Récit."
    data = QueryDict(mutable=True)
    for form in (entry.main, entry.gbv, entry.explosive):
        for field in form:
            value = field.value()
            if isinstance(value, list):
                data.setlist(field.html_name, value)
            elif value is True:
                data[field.html_name] = "on"
            elif value not in (None, False):
                data[field.html_name] = str(value)
    for formset in (entry.violations, entry.casualties):
        data.update({f.html_name: f.value() for f in formset.management_form})
        for form in formset:
            for field in form:
                value = field.value()
                if value is True:
                    data[field.html_name] = "on"
                elif value not in (None, False, ""):
                    data[field.html_name] = str(value)
    data.setlist("sections", sorted(entry.sections))
    again = IncidentEntry(data, version=cercle.version, survivor_details=True)
    assert again.should_save and again.is_valid(), (again.main.errors, again.gbv.errors, again.section_errors)
    original = build(cercle)
    rebuilt = IncidentRow(**again.incident_fields())
    assert sorted(rebuilt.categories) == sorted(original.categories)
    assert sorted(map(repr, rebuilt.victims)) == sorted(map(repr, original.victims))
    incident_validate(rebuilt)  # raises ValidationError when invalid
    if original.gbv:
        assert rebuilt.gbv.answers == original.gbv.answers and rebuilt.gbv.referrals == original.gbv.referrals
    assert [v.type for v in rebuilt.violations] == [v.type for v in original.violations]
    if original.explosive:
        assert len(rebuilt.explosive.casualties) == len(original.explosive.casualties)


def test_filter_form_resolves_areas_and_reports_unknown_ones(cercle):
    form = IncidentFilterForm({"area": "ml0501", "status": "submitted"})
    assert form.filters() == {"area": cercle, "status": "submitted"}
    unknown = IncidentFilterForm({"area": "Atlantide", "status": "draft"})
    assert unknown.filters() == {"status": "draft"}
    assert "Atlantide" in unknown.errors["area"][0]


# --- Children and adults without finer age group (issue 14, point 1) ----------------------------------


def test_the_victims_grid_puts_the_coarse_groups_after_the_fine_ones(cercle):
    entry = IncidentEntry(posted(cercle, v_killed_f_0_17="5", v_injured_m_18_plus="2", v_killed_m_0_5="1"))

    [killed, *_others] = entry.main.victim_grid()
    labels = [str(label) for label, _fields in killed["rows"]]
    assert entry.is_valid(), entry.main.errors
    victims = IncidentRow(**entry.incident_fields()).victims
    assert [(v.outcome, v.sex, v.age_group, v.count) for v in victims] == [
        ("killed", "f", "0_17", 5),
        ("killed", "m", "0_5", 1),
        ("injured", "m", "18_plus", 2),
    ]
    assert labels[:5] == ["0-5 ans", "6-11 ans", "12-17 ans", "18-59 ans", "60 ans et plus"]
    assert len(labels) == 8 and labels[-1] == "Âge inconnu"


def test_a_violation_of_children_without_finer_age_group_is_edited_without_losing_them(monitor, cercle):
    children = [ViolationVictimCell(sex="m", age_group="0_17", count=3)]
    incident = record_incident(
        monitor,
        cercle,
        data=violation_incident_input(
            cercle, violation_input("killing", victims=children), victims=[victim("killed", "m", "0_17", 3)]
        ),
    )

    entry = IncidentEntry(initial=initial_from_incident(incident, None))

    violation = entry.violations.forms[0]  # (then an empty row for another one)
    assert violation["type"].value() == "killing" and violation["c_m_0_17"].value() == 3
    assert entry.main["v_killed_m_0_17"].value() == 3
