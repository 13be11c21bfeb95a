"""Writes: who may record what, for whom and where; validation in French; one audit entry per write."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from sentinelle.core.hooks import DISPLACEMENT_EVENTS_RECORDED, follow, followers
from sentinelle.core.models import AuditAction, AuditEntry
from sentinelle.displacement import selectors, services
from sentinelle.displacement.models import DisplacementEvent, PeopleInNeed, PopulationFigure, ReturnIntention
from sentinelle.displacement.tests.factories import (
    d,
    event_input,
    figure_input,
    figure_line,
    intention_input,
    make_figure,
    need_input,
    need_line,
)

pytestmark = pytest.mark.django_db


def denials(user) -> int:
    return AuditEntry.objects.filter(action=AuditAction.DENIED, user=user).count()


def errors_of(call) -> dict:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


# --- Roles -----------------------------------------------------------------------------------------


def test_monitor_records_for_own_organisation_with_breakdown(monitor, alpha, places):
    data = figure_input(places.dourou, alpha, breakdown={("f", "0_5"): 30, ("m", "18_59"): 20})

    figure = services.figure_record(actor=monitor, **data)

    assert figure.organisation == alpha and figure.source_key == "ML050101|idp|2024-03-31|cmp"
    assert selectors.figure_breakdown(figure) == {("f", "0_5"): 30, ("m", "18_59"): 20}
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(figure.public_id)).count() == 1


def test_monitor_cannot_record_for_another_organisation(monitor, beta, places):
    with pytest.raises(PermissionDenied):
        services.figure_record(actor=monitor, **figure_input(places.dourou, beta))

    assert PopulationFigure.objects.count() == 0
    assert denials(monitor) == 1


def test_monitor_cannot_record_outside_own_areas(monitor, alpha, places):
    with pytest.raises(PermissionDenied):
        services.figure_record(actor=monitor, **figure_input(places.pelengana, alpha))

    assert PopulationFigure.objects.count() == 0
    assert denials(monitor) == 1


def test_other_organisation_cannot_edit_alpha_figure(outsider, alpha, beta, places):
    figure = make_figure(places.dourou, alpha, individuals=100)

    with pytest.raises(PermissionDenied):
        services.figure_update(
            actor=outsider, figure=figure, **figure_input(places.dourou, beta, individuals=5)
        )

    figure.refresh_from_db()
    assert (figure.individuals, figure.organisation) == (100, alpha)
    assert denials(outsider) == 1


def test_imo_edits_every_organisation(imo, alpha, places):
    figure = make_figure(places.dourou, alpha, individuals=100)

    services.figure_update(actor=imo, figure=figure, **figure_input(places.dourou, alpha, individuals=120))

    figure.refresh_from_db()
    assert figure.individuals == 120
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(figure.public_id))
    assert entry.detail == {"fields": ["individuals"]}


@pytest.mark.parametrize("actor", ["reader", "focal_point", "caseworker_in_area"])
def test_roles_without_manage_are_refused(request, actor, alpha, places):
    user = request.getfixturevalue(actor)

    with pytest.raises(PermissionDenied):
        services.figure_record(actor=user, **figure_input(places.dourou, alpha))

    assert PopulationFigure.objects.count() == 0
    assert denials(user) == 1


# --- Validation ------------------------------------------------------------------------------------------


def test_breakdown_over_total_refused(imo, alpha, places):
    data = figure_input(
        places.dourou, alpha, individuals=40, breakdown={("f", "0_5"): 30, ("m", "18_59"): 20}
    )

    assert errors_of(lambda: services.figure_record(actor=imo, **data)) == {
        "breakdown": ["The breakdown by sex and age (50) is more than the individuals (40)."]
    }
    assert PopulationFigure.objects.count() == 0


def test_region_and_host_status_refused(imo, alpha, places):
    data = figure_input(places.mopti, alpha, status="host")

    errors = errors_of(lambda: services.figure_record(actor=imo, **data))

    assert errors["area"] == ["Mopti (ML05) is not at the right level: give a cercle or a commune."]
    assert errors["status"] == ["Host communities are not counted in population figures: use people in need."]


def test_same_round_and_source_cannot_be_entered_twice(imo, alpha, beta, places):
    make_figure(places.dourou, beta)

    errors = errors_of(lambda: services.figure_record(actor=imo, **figure_input(places.dourou, alpha)))

    assert "BETA" in errors["round_date"][0]
    # Another source for the same round is recorded (it will not be added: see the selectors).
    services.figure_record(actor=imo, **figure_input(places.dourou, alpha, source="partner"))
    assert PopulationFigure.objects.count() == 2


def test_future_round_and_negative_numbers(imo, alpha, places):
    data = figure_input(places.dourou, alpha, round_date=d(2999, 1, 1), individuals=-1)

    errors = errors_of(lambda: services.figure_record(actor=imo, **data))

    assert errors["round_date"] == ["The date cannot be in the future."]
    assert errors["individuals"] == ["The number cannot be negative."]


# --- Import ---------------------------------------------------------------------------------------------


def test_figures_import_is_idempotent(imo, alpha, places):
    rows = [
        figure_line(places.dourou, alpha, breakdown={("f", "18_59"): 10}),
        figure_line(places.kendie, alpha, status="refugee"),
    ]

    first = services.figures_import(actor=imo, organisation=alpha, rows=rows)
    second = services.figures_import(actor=imo, organisation=alpha, rows=rows)

    assert (first.created, first.unchanged) == (2, 0)
    assert (second.created, second.unchanged) == (0, 2)
    assert PopulationFigure.objects.count() == 2
    assert (
        AuditEntry.objects.filter(
            action=AuditAction.IMPORT, object_type="displacement.populationfigure"
        ).count()
        == 2
    )


def test_figures_import_all_or_nothing(imo, alpha, places):
    rows = [figure_line(places.dourou, alpha), figure_line(places.kendie, alpha, individuals=-5)]

    errors = errors_of(lambda: services.figures_import(actor=imo, organisation=alpha, rows=rows))

    assert errors == {"1.individuals": ["The number cannot be negative."]}
    assert PopulationFigure.objects.count() == 0


# --- Events, intentions, needs -----------------------------------------------------------------------------


def test_event_record_announces_after_commit(monitor, alpha, places, django_capture_on_commit_callbacks):
    heard = []

    def listener(*, event_ids):
        heard.append(event_ids)

    follow(DISPLACEMENT_EVENTS_RECORDED, listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = services.event_record(actor=monitor, **event_input(places.dourou, alpha))
    finally:
        followers_list = followers(DISPLACEMENT_EVENTS_RECORDED)
        from sentinelle.core import hooks

        hooks._FOLLOWERS[DISPLACEMENT_EVENTS_RECORDED].remove(listener)
    assert listener in followers_list
    assert heard == [[event.pk]]
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_id=str(event.public_id)).count() == 1


def test_event_without_origin_and_refusal(monitor, outsider, alpha, places):
    event = services.event_record(actor=monitor, **event_input(places.dourou, alpha, origin_area=None))
    assert event.origin_area is None

    with pytest.raises(PermissionDenied):
        services.event_record(actor=outsider, **event_input(places.dourou, alpha))
    assert DisplacementEvent.objects.count() == 1
    assert denials(outsider) == 1


def test_return_intentions_must_add_up(monitor, alpha, places):
    data = intention_input(places.dourou, alpha, wish_return=70)

    errors = errors_of(lambda: services.return_intention_record(actor=monitor, **data))

    assert errors == {
        "households_surveyed": ["Households by wish (97) must add up to the households surveyed (100)."]
    }
    services.return_intention_record(actor=monitor, **intention_input(places.dourou, alpha))
    assert ReturnIntention.objects.count() == 1


def test_people_in_need_record_corrects_the_cell(imo, alpha, places):
    services.people_in_need_record(actor=imo, **need_input(places.bandiagara, alpha, people_in_need=100))
    services.people_in_need_record(actor=imo, **need_input(places.bandiagara, alpha, people_in_need=150))

    assert list(PeopleInNeed.objects.values_list("people_in_need", flat=True)) == [150]
    assert (
        AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="displacement.peopleinneed").count()
        == 1
    )


def test_people_in_need_import(imo, alpha, places):
    rows = [need_line(places.bandiagara, alpha), need_line(places.mopti, alpha, population_status="host")]

    assert services.people_in_need_import(actor=imo, organisation=alpha, rows=rows).created == 2
    assert services.people_in_need_import(actor=imo, organisation=alpha, rows=rows).unchanged == 2
    changed = [need_line(places.bandiagara, alpha, people_in_need=1)]
    errors = errors_of(lambda: services.people_in_need_import(actor=imo, organisation=alpha, rows=changed))
    assert list(errors) == ["0.people_in_need"]
