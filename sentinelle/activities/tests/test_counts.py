"""Totals with an unknown part (services/counts.py): the rule, through the services, the form and the figures.

The PROSMED's awareness session for 140 students of the ENA has no figure by sex; its workshop for 26
justice actors has "5 women"; its training of 25 judicial police officers has no figure by sex. Each is
recorded as given: the rest of a total is "sex unknown" (and "age unknown"), never spread over women and
men, and a split larger than its total is refused with nothing written.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from sentinelle.activities.models import (
    Activity,
    Beneficiaries,
    ParticipantCategory,
    TrainingParticipants,
)
from sentinelle.activities.services.counts import (
    BeneficiaryCell,
    ParticipantCell,
    ParticipantTotal,
    ReachedTotal,
    complete_beneficiaries,
    complete_participants,
)
from sentinelle.activities.services.reporting import activity_create
from sentinelle.activities.tests.factories_reporting import (  # noqa: F401  (fixture)
    places_fixture,
    this_month,
)
from sentinelle.activities.tests.factories_results import APR, YEAR, make_activity, make_training
from sentinelle.core.datasets import Filters, aggregate, strip_keys

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def cells_of(completed) -> set[tuple]:
    return {(c.sex, c.age_group, c.population_status, c.count) for c in completed}


# --- The rule -------------------------------------------------------------------------------------


def test_a_total_alone_is_sex_and_age_unknown():
    completed, errors = complete_beneficiaries([], [ReachedTotal("host", 140)])

    assert errors == {}
    assert cells_of(completed) == {("unknown", "unknown", "host", 140)}


def test_the_rest_of_a_total_beyond_the_women_is_sex_unknown():
    completed, errors = complete_beneficiaries(
        [], [ReachedTotal("host", 872), ReachedTotal("host", 556, "f")]
    )

    assert errors == {}
    assert cells_of(completed) == {("f", "unknown", "host", 556), ("unknown", "unknown", "host", 316)}


def test_a_total_of_one_sex_leaves_the_age_unknown_beyond_its_age_groups():
    cells = [BeneficiaryCell("f", "18_59", "idp", 14), BeneficiaryCell("m", "12_17", "idp", 6)]

    completed, errors = complete_beneficiaries(cells, [ReachedTotal("idp", 20, "f")])

    assert errors == {}
    assert cells_of(completed) == {
        ("f", "18_59", "idp", 14),
        ("f", "unknown", "idp", 6),
        ("m", "12_17", "idp", 6),
    }


def test_totals_apply_to_their_population_group_only():
    cells = [BeneficiaryCell("f", "18_59", "idp", 14), BeneficiaryCell("f", "18_59", "host", 30)]

    completed, errors = complete_beneficiaries(cells, [ReachedTotal("idp", 20)])

    assert errors == {}
    assert ("unknown", "unknown", "idp", 6) in cells_of(completed)
    assert ("f", "18_59", "host", 30) in cells_of(completed)


def test_a_split_larger_than_its_total_is_an_error_and_invents_nothing():
    cells = [BeneficiaryCell("f", "18_59", "idp", 14), BeneficiaryCell("m", "12_17", "idp", 6)]

    _completed, errors = complete_beneficiaries(
        cells, [ReachedTotal("idp", 15), ReachedTotal("idp", 10, "f")]
    )

    assert errors == {
        "reached_total.idp": ["The people reached given by sex and age (20) are more than the total (15)."],
        "reached_f_total.idp": ["The women and girls given by age (14) are more than their total (10)."],
    }


def test_participants_beyond_women_and_men_are_sex_unknown():
    completed, errors = complete_participants(
        [ParticipantCell("magistrate", "f", 5)],
        [ParticipantTotal("magistrate", 26), ParticipantTotal("police", 25)],
    )

    assert errors == {}
    assert {(c.category, c.sex, c.count) for c in completed} == {
        ("magistrate", "f", 5),
        ("magistrate", "unknown", 21),
        ("police", "unknown", 25),
    }


def test_participants_more_than_their_total_are_an_error():
    _completed, errors = complete_participants(
        [ParticipantCell("police", "f", 3), ParticipantCell("police", "m", 24)],
        [ParticipantTotal("police", 25)],
    )

    assert errors == {
        "participants.police": ["The participants given by sex (27) are more than their total (25)."]
    }


# --- Through the services ---------------------------------------------------------------------------


def entry(area, **values) -> dict:
    day = this_month().replace(day=3)
    data = {"activity_type": "awareness", "area": area, "start_date": day, "end_date": day}
    data.update(values)
    return data


def test_an_activity_with_a_total_only_is_recorded_with_sex_unknown(manager, alpha, places):
    activity = activity_create(
        actor=manager,
        organisation=alpha,
        month=this_month(),
        **entry(places["dourou"], reached_totals=[ReachedTotal("host", 140)]),
    )

    assert list(activity.beneficiaries.values_list("sex", "age_group", "population_status", "count")) == [
        ("unknown", "unknown", "host", 140)
    ]


def test_a_split_larger_than_its_total_is_refused_with_nothing_written(manager, alpha, places):
    data = entry(
        places["dourou"],
        beneficiaries=[
            BeneficiaryCell("f", "18_plus", "host", 22),
            BeneficiaryCell("m", "18_plus", "host", 70),
        ],
        reached_totals=[ReachedTotal("host", 83)],
    )

    with pytest.raises(ValidationError) as refusal:
        activity_create(actor=manager, organisation=alpha, month=this_month(), **data)

    assert set(refusal.value.message_dict) == {"reached_total.host"}
    assert not Activity.objects.exists() and not Beneficiaries.objects.exists()


def test_a_training_records_a_category_total_as_sex_unknown(manager, alpha, places):
    data = entry(
        places["dourou"],
        activity_type="training",
        training_topic="Conduite des enquêtes",
        participant_totals=[ParticipantTotal("police", 25)],
    )

    activity = activity_create(actor=manager, organisation=alpha, month=this_month(), **data)

    assert list(activity.training.participants.values_list("category", "sex", "count")) == [
        ("police", "unknown", 25)
    ]


# --- The form ------------------------------------------------------------------------------------------


def form_data(**values) -> dict:
    month = this_month()
    data = {
        "month": month.strftime("%Y-%m"),
        "activity_type": "awareness",
        "title": "Convention des Nations unies contre la corruption",
        "region": "ML05",
        "cercle": "ML0501",
        "commune": "ML050101",
        "start_date": month.replace(day=2).isoformat(),
        "end_date": month.replace(day=2).isoformat(),
        "status": "completed",
    }
    data.update(values)
    return data


def test_the_form_takes_a_total_and_shows_the_unknown_part_again(signed_in, manager, alpha, places):
    client = signed_in(manager)

    client.post(
        reverse("activities:activity-create"), form_data(reached_total_host="872", reached_f_total_host="556")
    )

    activity = Activity.objects.get()
    assert sorted(activity.beneficiaries.values_list("sex", "age_group", "count")) == [
        ("f", "unknown", 556),
        ("unknown", "unknown", 316),
    ]
    page = client.get(reverse("activities:activity-edit", args=[activity.public_id]))
    form = page.context["form"]
    assert (form.initial["reached_total_host"], form.initial["reached_f_total_host"]) == (872, 556)
    [host] = [table for table in form.beneficiary_grid() if table["status"] == "host"]
    assert (host["unknown_sex"], host["unknown_age"]) == (316, 872)
    assert b'data-testid="unknown-part"' in page.content
    detail = client.get(reverse("activities:activity-detail", args=[activity.public_id]))
    assert "Sexe inconnu" in detail.content.decode() and "<td>316</td>" in detail.content.decode()


def test_editing_an_activity_without_unknown_part_shows_no_total(signed_in, manager, alpha, places):
    client = signed_in(manager)
    client.post(reverse("activities:activity-create"), form_data(b_idp_f_18_59="14"))
    activity = Activity.objects.get()

    form = client.get(reverse("activities:activity-edit", args=[activity.public_id])).context["form"]

    # A cell changed afterwards changes the people reached; it never moves people into "unknown".
    assert "reached_total_idp" not in form.initial and "reached_f_total_idp" not in form.initial


def test_the_form_refuses_a_split_larger_than_its_total_on_the_total(signed_in, manager, alpha, places):
    client = signed_in(manager)

    response = client.post(
        reverse("activities:activity-create"),
        form_data(b_host_f_18_plus="22", b_host_m_18_plus="70", reached_total_host="83"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["reached_total_host"] == [
        "Les personnes touchées données par sexe et âge (92) sont plus nombreuses que le total (83)."
    ]
    assert not Activity.objects.exists()


def test_the_form_takes_participants_with_a_total_per_category(signed_in, manager, alpha, places):
    client = signed_in(manager)

    client.post(
        reverse("activities:activity-create"),
        form_data(
            activity_type="training",
            training_topic="Foncier et homologation des PV de conciliation",
            p_magistrate_f="5",
            participants_magistrate="26",
        ),
    )

    activity = Activity.objects.get()
    assert sorted(activity.training.participants.values_list("category", "sex", "count")) == [
        ("magistrate", "f", 5),
        ("magistrate", "unknown", 21),
    ]
    form = client.get(reverse("activities:activity-edit", args=[activity.public_id])).context["form"]
    assert form.initial["participants_magistrate"] == 26
    _label, magistrates = form.participant_rows()[ParticipantCategory.values.index("magistrate")]
    assert magistrates[-1] == 21


# --- The figures ---------------------------------------------------------------------------------------


def test_every_validated_training_counts_also_without_participants(alpha, mopti):
    make_training(alpha, mopti, participants=[("police", "unknown", 25)])
    make_training(alpha, mopti)  # participants not given: 1 training, 0 participants
    make_training(alpha, mopti, start=APR, report_status="submitted", participants=[("police", "m", 9)])
    make_activity(alpha, mopti, "awareness")
    dates = Filters(date_from=datetime.date(YEAR, 1, 1))

    [total] = strip_keys(aggregate("trainings", measures=["count", "participants"], filters=dates))

    assert total == {"count": 2, "participants": 25}
    rows = strip_keys(aggregate("trainings", measures=["participants"], group_by=["sex"], filters=dates))
    assert {row["sex"]: row["participants"] for row in rows} == {"unknown": 25, None: 0}
    assert not TrainingParticipants.objects.filter(sex__in=["f", "m"], category="police", count=25).exists()


def test_people_reached_by_sex_and_age_band_keep_the_unknown_part(alpha, mopti):
    make_activity(
        alpha,
        mopti,
        beneficiaries=[
            ("f", "0_17", "host", 12),
            ("f", "0_5", "idp", 3),
            ("m", "18_plus", "host", 20),
            ("unknown", "unknown", "host", 140),
        ],
    )
    dates = Filters(date_from=datetime.date(YEAR, 1, 1))

    rows = strip_keys(
        aggregate("activities", measures=["people_reached"], group_by=["sex", "age_band"], filters=dates)
    )

    assert {(row["sex"], row["age_band"]): row["people_reached"] for row in rows} == {
        ("f", "children"): 15,
        ("m", "adults"): 20,
        ("unknown", "unknown"): 140,
    }
    filters = Filters(date_from=datetime.date(YEAR, 1, 1), extra={"age_band": "children", "sex": "f"})
    [row] = strip_keys(aggregate("activities", measures=["count", "people_reached"], filters=filters))
    assert row == {"count": 1, "people_reached": 15}
