"""Displacement events reaching the alert rules (through core.hooks and the displacement_events dataset)."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from sentinelle.core import hooks
from sentinelle.core.hooks import DISPLACEMENT_EVENTS_RECORDED
from sentinelle.displacement.services import event_record
from sentinelle.displacement.tests.factories import event_input, make_event
from sentinelle.monitoring.models import Alert, AlertRule, FlashReport
from sentinelle.monitoring.services.alert_rules import alert_rule_create
from sentinelle.monitoring.services.alerts import alerts_evaluate
from sentinelle.monitoring.services.displacement_alerts import (
    displacement_events_alert,
    register_followers,
)
from sentinelle.monitoring.tests.factories import cercle_of, commune_of

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.fixture
def cercle(mopti):
    return cercle_of(mopti, pcode="ML0501", name_fr="Bandiagara")


@pytest.fixture
def commune(cercle):
    return commune_of(cercle, pcode="ML050101", name_fr="Dourou")


@pytest.fixture
def other_commune(cercle):
    return commune_of(cercle, pcode="ML050102", name_fr="Kendié")


def rule(admin, **fields) -> AlertRule:
    values = {
        "name": "Afflux de déplacés",
        "subject": AlertRule.Subject.DISPLACEMENT,
        "kind": AlertRule.Kind.THRESHOLD,
        "area_level": 2,
        "metric": AlertRule.Metric.DISPLACED,
        "threshold": 1000,
        "window_days": 7,
    }
    return alert_rule_create(actor=admin, **{**values, **fields})


def test_an_event_over_the_threshold_opens_one_alert(admin, alpha, cercle, commune):
    threshold = rule(admin)
    event = make_event(commune, alpha, date=days_ago(2), individuals=1500, households=250)

    [alert] = displacement_events_alert(event_ids=[event.pk], notify=False)

    assert (alert.rule, alert.area, alert.value) == (threshold, cercle, 1500)
    assert alert.incidents.count() == 0
    report = FlashReport.objects.get(alert=alert)
    assert "1500" in report.displacement and "250" in report.displacement
    assert report.figures["individuals"] == 1500 and report.figures["causes"] == {"armed_conflict": 1500}


def test_below_the_threshold_nothing(admin, alpha, commune):
    rule(admin)
    event = make_event(commune, alpha, date=days_ago(2), individuals=999)

    assert displacement_events_alert(event_ids=[event.pk], notify=False) == []
    assert Alert.objects.count() == 0


def test_events_add_up_in_the_window_and_rerun_does_not_duplicate(
    admin, alpha, cercle, commune, other_commune
):
    rule(admin)
    first = make_event(commune, alpha, date=days_ago(5), individuals=600)
    assert displacement_events_alert(event_ids=[first.pk], notify=False) == []
    second = make_event(other_commune, alpha, date=days_ago(3), individuals=500)

    [alert] = displacement_events_alert(event_ids=[second.pk], notify=False)
    assert alert.value == 1100

    assert displacement_events_alert(event_ids=[first.pk, second.pk], notify=False) == []
    assert Alert.objects.count() == 1
    third = make_event(commune, alpha, date=days_ago(4), individuals=100)
    assert displacement_events_alert(event_ids=[third.pk], notify=False) == []
    alert.refresh_from_db()
    assert Alert.objects.count() == 1 and alert.value == 1200


def test_old_events_and_other_rule_subjects(admin, alpha, commune):
    rule(admin)
    alert_rule_create(
        actor=admin,
        name="Incidents",
        kind=AlertRule.Kind.THRESHOLD,
        metric=AlertRule.Metric.EVENTS,
        threshold=1,
    )
    old = make_event(commune, alpha, date=days_ago(400), individuals=5000)

    assert displacement_events_alert(event_ids=[old.pk], notify=False) == []
    # Incident evaluation ignores displacement rules (and this event is no incident).
    assert alerts_evaluate(incident_ids=[]) == []


def test_rule_validation(admin):
    with pytest.raises(ValidationError) as caught:
        rule(admin, metric=AlertRule.Metric.VICTIMS)
    assert "metric" in caught.value.message_dict
    with pytest.raises(ValidationError):
        alert_rule_create(
            actor=admin,
            name="x",
            kind=AlertRule.Kind.THRESHOLD,
            metric=AlertRule.Metric.DISPLACED,
            threshold=1,
        )


def test_recording_an_event_raises_the_alert_through_the_hook(
    admin, imo, alpha, cercle, commune, monkeypatch, django_capture_on_commit_callbacks, settings
):
    monkeypatch.setattr(hooks, "_FOLLOWERS", hooks.defaultdict(list))
    register_followers()
    assert hooks.followers(DISPLACEMENT_EVENTS_RECORDED) == [displacement_events_alert]
    imo.email = "imo@example.org"
    imo.save()
    rule(admin)

    with django_capture_on_commit_callbacks(execute=True):
        event_record(actor=admin, **event_input(commune, alpha, date=days_ago(1), individuals=2000))

    alert = Alert.objects.get()
    assert alert.value == 2000
    assert [message.to for message in mail.outbox] == [["imo@example.org"]]


def test_demo_declares_a_displacement_rule():
    from sentinelle.demo.monitoring.alerts import RULES

    displacement = [rule for rule in RULES if rule.get("subject") == AlertRule.Subject.DISPLACEMENT]
    assert displacement and displacement[0]["metric"] == AlertRule.Metric.DISPLACED


def test_alert_pages_show_a_displacement_alert(signed_in, admin, imo, alpha, commune):
    from django.urls import reverse

    rule(admin)
    event = make_event(commune, alpha, date=days_ago(2), individuals=1500)
    [alert] = displacement_events_alert(event_ids=[event.pk], notify=False)
    client = signed_in(imo)

    assert client.get(reverse("monitoring:alert-detail", args=[alert.public_id])).status_code == 200
    assert client.get(reverse("monitoring:alert-list")).status_code == 200
