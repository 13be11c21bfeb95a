"""Alert rules firing, and not firing, on incidents; notifications by e-mail and webhook."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sentinelle.core.models import AuditEntry
from sentinelle.monitoring.models import Alert, AlertRule, AreaFollow, FlashReport, Incident
from sentinelle.monitoring.services.alert_notifications import webhook_call
from sentinelle.monitoring.services.alert_rules import alert_rule_archive, alert_rule_create
from sentinelle.monitoring.services.alerts import alerts_evaluate
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    days_ago,
    explosive_incident_input,
    make_incident,
    today,
    victim,
    violation_incident_input,
    violation_input,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cercle(mopti):
    return cercle_of(mopti, pcode="ML0501", name_fr="Mopti-Cercle")


@pytest.fixture
def other_cercle(mopti):
    return cercle_of(mopti, pcode="ML0502", name_fr="Bandiagara")


def incident(actor, area, days: int, *, status: str = "submitted", **overrides) -> Incident:
    """An incident `days` ago, submitted by default (hooks do not run: tests call the evaluation)."""
    overrides.setdefault("date_reported", today())
    return make_incident(actor=actor, area=area, status=status, date_start=days_ago(days), **overrides)


def threshold_rule(admin, **fields) -> AlertRule:
    values = {
        "name": "Pic d'incidents",
        "kind": AlertRule.Kind.THRESHOLD,
        "area_level": 2,
        "metric": AlertRule.Metric.EVENTS,
        "threshold": 3,
        "window_days": 7,
    }
    return alert_rule_create(actor=admin, **{**values, **fields})


def always_rule(admin, **fields) -> AlertRule:
    values = {
        "name": "Toujours",
        "kind": AlertRule.Kind.ALWAYS,
        "metric": AlertRule.Metric.EVENTS,
        "threshold": 1,
    }
    return alert_rule_create(actor=admin, **{**values, **fields})


def evaluate(*incidents, **kwargs):
    return alerts_evaluate(incident_ids=[i.pk for i in incidents], notify=kwargs.pop("notify", False))


# --- Threshold rules --------------------------------------------------------------------------


def test_threshold_minus_one_fires_nothing_then_the_threshold_fires_once(admin, monitor, cercle):
    rule = threshold_rule(admin)
    first, second = incident(monitor, cercle, 5), incident(monitor, cercle, 4)
    assert evaluate(first, second) == []
    assert not Alert.objects.exists()

    third = incident(monitor, cercle, 3)
    fired = evaluate(third)

    assert len(fired) == 1
    alert = fired[0]
    assert (alert.rule, alert.area, alert.value) == (rule, cercle, 3)
    assert set(alert.incidents.all()) == {first, second, third}
    assert alert.window_end == days_ago(3) and alert.window_start == days_ago(9)
    assert FlashReport.objects.get(alert=alert).status == FlashReport.Status.DRAFT
    assert (
        AuditEntry.objects.filter(object_type="monitoring.alert", object_id=str(alert.public_id)).count() == 1
    )


def test_one_more_incident_in_the_same_window_joins_the_alert(admin, monitor, cercle):
    threshold_rule(admin)
    incidents = [incident(monitor, cercle, days) for days in (5, 4, 3)]
    evaluate(*incidents)
    inside = incident(monitor, cercle, 6)

    assert evaluate(inside) == []
    alert = Alert.objects.get()
    assert alert.value == 4 and inside in alert.incidents.all()

    # A window overlapping the alert's is the same episode: no second alert (the incident is not in
    # the alert's window, so the alert keeps its figures).
    after = incident(monitor, cercle, 2)
    assert evaluate(after) == []
    assert evaluate(*incidents, inside, after) == []
    assert Alert.objects.count() == 1 and Alert.objects.get().value == 4


def test_an_alerts_untouched_draft_is_written_when_read_not_at_each_import_that_raises_or_joins_it(
    admin, monitor, imo, cercle, django_assert_max_num_queries
):
    from sentinelle.monitoring.services.flash_reports import flash_report_refresh, flash_report_update

    threshold_rule(admin)
    evaluate(*[incident(monitor, cercle, days) for days in (5, 4, 3)])
    # Raised with its title only: the draft is written when first read.
    report = FlashReport.objects.get()
    assert report.stale and report.title and not report.what and not report.figures
    report = flash_report_refresh(report=report)
    written = (report.what, report.figures)
    assert "3" in report.what and not FlashReport.objects.get().stale

    # Two imports join the alert: its value follows at once, its draft only waits (nothing rewritten).
    for days in (6, 7):
        with django_assert_max_num_queries(50):
            assert evaluate(incident(monitor, cercle, days)) == []
    report.refresh_from_db()
    assert Alert.objects.get().value == 5
    assert report.stale and (report.what, report.figures) == written
    joins = AuditEntry.objects.filter(object_type="monitoring.alert", action="update")
    assert [entry.detail["incidents_added"] for entry in joins.order_by("id")] == [1, 1]

    # Read: written once from the alert's five incidents, as a new draft would be.
    refreshed = flash_report_refresh(report=report)
    assert not refreshed.stale and "5" in refreshed.what and refreshed.what != written[0]
    stored = FlashReport.objects.get()
    assert (stored.what, stored.stale) == (refreshed.what, False)
    assert flash_report_refresh(report=stored) is stored  # nothing more to write

    # A draft the IMO edited is the IMO's: a later join leaves its text, the flag is cleared on reading.
    flash_report_update(actor=imo, report=stored, what="Texte de l'IMO.")
    evaluate(incident(monitor, cercle, 2))
    stored = FlashReport.objects.get()
    assert stored.what == "Texte de l'IMO." and not stored.stale
    FlashReport.objects.update(stale=True)
    stored = flash_report_refresh(report=FlashReport.objects.get())
    assert stored.what == "Texte de l'IMO." and not FlashReport.objects.get().stale


def test_incidents_outside_the_window_do_not_add_up(admin, monitor, cercle):
    threshold_rule(admin)
    incidents = [incident(monitor, cercle, 20), incident(monitor, cercle, 19), incident(monitor, cercle, 2)]
    assert evaluate(*incidents) == []


def test_incidents_in_another_area_do_not_add_up_but_do_at_a_higher_level(
    admin, monitor, cercle, other_cercle
):
    per_cercle = threshold_rule(admin)
    incidents = [
        incident(monitor, cercle, 3),
        incident(monitor, cercle, 2),
        incident(monitor, other_cercle, 2),
    ]
    assert evaluate(*incidents) == []

    per_region = threshold_rule(admin, name="Par région", area_level=1)
    fired = evaluate(*incidents)
    assert [(a.rule, a.area.pcode, a.value) for a in fired] == [(per_region, "ML05", 3)]
    assert not per_cercle.alerts.exists()


def test_an_incident_entered_late_fires_the_window_it_completes(admin, monitor, cercle):
    """The new incident may be older than the others: any window containing it counts."""
    threshold_rule(admin)
    later = [incident(monitor, cercle, 3), incident(monitor, cercle, 2)]
    evaluate(*later)
    fired = evaluate(incident(monitor, cercle, 8))
    assert len(fired) == 1 and fired[0].value == 3


def test_a_rule_limited_to_an_area_ignores_incidents_elsewhere(admin, manager, monitor, cercle, segou):
    threshold_rule(admin, area=segou, area_level=2)
    incidents = [incident(monitor, cercle, days) for days in (4, 3, 2)]
    assert evaluate(*incidents) == []


def test_drafts_rejected_incidents_and_linked_duplicates_do_not_count(admin, monitor, manager, cercle):
    threshold_rule(admin)
    counted = [incident(monitor, cercle, 3), incident(monitor, cercle, 2)]
    draft = incident(monitor, cercle, 2, status="draft")
    rejected = incident(monitor, cercle, 2, status="rejected", reviewer=manager)
    duplicate = incident(monitor, cercle, 1)
    Incident.objects.filter(pk=duplicate.pk).update(duplicate_of=counted[0])

    assert evaluate(*counted, draft, rejected, duplicate) == []
    assert not Alert.objects.exists()


def test_victims_metric_sums_the_victims(admin, monitor, cercle):
    threshold_rule(admin, metric=AlertRule.Metric.VICTIMS, threshold=5)
    two_each = [incident(monitor, cercle, 3), incident(monitor, cercle, 2)]  # 2 killed each
    assert evaluate(*two_each) == []
    fired = evaluate(incident(monitor, cercle, 1))
    assert fired[0].value == 6


def test_inactive_and_archived_rules_do_not_fire(admin, monitor, cercle):
    rule = threshold_rule(admin, threshold=1, is_active=False)
    other = threshold_rule(admin, name="Archivée", threshold=1)
    alert_rule_archive(actor=admin, rule=other)
    assert evaluate(incident(monitor, cercle, 1)) == []
    assert not rule.alerts.exists()


def test_old_incidents_raise_no_alert(admin, monitor, cercle, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "ALERT_MAX_AGE_DAYS": 30}
    always_rule(admin)
    assert evaluate(incident(monitor, cercle, 40)) == []
    assert len(evaluate(incident(monitor, cercle, 20))) == 1


def test_evaluation_costs_a_few_queries_whatever_the_history(
    admin, monitor, cercle, django_assert_max_num_queries
):
    threshold_rule(admin, threshold=50)
    history = [incident(monitor, cercle, days) for days in range(1, 12)]
    new = incident(monitor, cercle, 1)
    with django_assert_max_num_queries(6):
        assert evaluate(new) == []
    assert len(history) == 11


def test_evaluation_reads_only_the_areas_under_the_new_incidents(admin, monitor, cercle, other_cercle, segou):
    """A phone's one submission reads its own subtree's areas (from the highest level a rule counts at),
    not the country's; the windows are counted the same."""
    from sentinelle.monitoring.services.alerts import _AreaIndex, _load_new

    cercle_of(segou, pcode="ML0401")
    threshold_rule(admin)
    per_region = threshold_rule(admin, name="Par région", area_level=1)
    earlier = [incident(monitor, cercle, 3), incident(monitor, other_cercle, 2)]
    new = incident(monitor, cercle, 1)

    loaded = _AreaIndex(_load_new([new.pk]).values(), from_level=1)
    assert sorted(area.pcode for area in loaded.by_pk.values()) == ["ML05", "ML0501", "ML0502"]
    cercle_only = _AreaIndex(_load_new([new.pk]).values(), from_level=2)
    assert sorted(area.pcode for area in cercle_only.by_pk.values()) == ["ML0501"]

    fired = evaluate(new)
    assert [(a.rule, a.area.pcode, a.value) for a in fired] == [(per_region, "ML05", 3)]
    assert sorted(fired[0].incidents.values_list("pk", flat=True)) == sorted(i.pk for i in [*earlier, new])


def test_an_incident_known_only_at_its_cercle_fires_a_commune_rule_there(admin, monitor, cercle):
    """Rules count per commune, the incident is located at its cercle: the areas read start at the cercle."""
    always_rule(admin, area_level=3)
    at_cercle = incident(monitor, cercle, 2)
    [alert] = evaluate(at_cercle)
    assert alert.area == cercle


# --- "Every incident" rules --------------------------------------------------------------------


def test_an_attack_on_a_school_always_fires_once(admin, monitor, cercle):
    always_rule(admin, name="Attaque contre une école", violation_types=["attack_school"])
    school = incident(monitor, cercle, 2, **_violation(cercle, violation_input("attack_school"), victims=[]))
    killing = incident(monitor, cercle, 2, **_violation(cercle, violation_input("killing")))

    fired = evaluate(school, killing)
    assert [a.incidents.get() for a in fired] == [school]
    assert fired[0].trigger_key == f"incident:{school.public_id}"
    assert evaluate(school) == []
    assert Alert.objects.count() == 1


def _violation(area, *violations, **overrides) -> dict:
    data = violation_incident_input(area, *violations, **overrides)
    return {
        "categories": data.categories,
        "victims": data.victims,
        "violations": data.violations,
        "source_mechanism": data.source_mechanism,
    }


def test_at_least_five_killed(admin, monitor, cercle):
    always_rule(admin, name="Au moins 5 tués", metric=AlertRule.Metric.KILLED, threshold=5)
    four = incident(monitor, cercle, 2, victims=[victim("killed", "m", "18_59", 4)])
    five = incident(
        monitor, cercle, 2, victims=[victim("killed", "m", "18_59", 3), victim("killed", "f", "0_5", 2)]
    )
    fired = evaluate(four, five)
    assert [(a.value, a.incidents.get()) for a in fired] == [(5, five)]


def test_category_filter(admin, monitor, cercle):
    always_rule(admin, name="Engin explosif", categories=["explosive"])
    data = explosive_incident_input(cercle, date_start=days_ago(2), date_reported=today())
    explosive = make_incident(actor=monitor, area=cercle, status="submitted", data=data)
    life = incident(monitor, cercle, 2)
    fired = evaluate(explosive, life)
    assert [a.incidents.get() for a in fired] == [explosive]


# --- Rule management -----------------------------------------------------------------------------


@pytest.mark.parametrize("actor_name", ["manager", "monitor", "reader"])
def test_only_the_cluster_manages_rules(request, actor_name):
    actor = request.getfixturevalue(actor_name)
    with pytest.raises(PermissionDenied):
        always_rule(actor)
    assert not AlertRule.objects.exists()


@pytest.mark.parametrize("actor_name", ["admin", "imo"])
def test_the_administrator_and_the_cluster_imo_manage_rules(request, actor_name):
    """Setting the alert rules is the cluster IMO's work (issue 15, item 10)."""
    actor = request.getfixturevalue(actor_name)
    rule = always_rule(actor)
    assert AlertRule.objects.get() == rule and rule.created_by == actor


def test_rule_validation_in_french_terms(admin, mopti):
    with pytest.raises(ValidationError) as error:
        always_rule(admin, categories=["nope"], threshold=3)
    assert set(error.value.message_dict) == {"categories", "threshold"}
    with pytest.raises(ValidationError) as error:
        threshold_rule(admin, area=cercle_of(mopti), area_level=1)
    assert "area_level" in error.value.message_dict
    assert not AlertRule.objects.exists()


# --- Notifications -------------------------------------------------------------------------------


def test_followers_and_imos_are_e_mailed_without_any_identifying_data(
    admin, imo, manager, monitor, outsider, cercle, segou, mailoutbox, django_capture_on_commit_callbacks
):
    always_rule(admin, name="Toujours")
    AreaFollow.objects.create(user=manager, area=cercle.parent)  # Mopti: receives
    AreaFollow.objects.create(user=outsider, area=segou)  # Ségou: does not
    AreaFollow.objects.create(user=monitor, area=cercle)  # monitors see alerts: receives
    secret = incident(
        monitor, cercle, 2, account="Awa T., 23 ans, témoin clé", coordinates="14.49512,-4.19735"
    )

    with django_capture_on_commit_callbacks(execute=True):
        alerts_evaluate(incident_ids=[secret.pk])

    assert sorted(m.to[0] for m in mailoutbox) == sorted([imo.email, manager.email, monitor.email])
    for message in mailoutbox:
        assert len(message.to) == 1
        assert "ML0501" in message.subject + message.body
        assert "Awa" not in message.body and "14.495" not in message.body and "-4.197" not in message.body
        assert secret.summary not in message.body


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def hook_server():
    _Hook.received = []
    _Hook.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhook_receives_the_alert_as_json(
    admin, monitor, cercle, hook_server, settings, django_capture_on_commit_callbacks
):
    url = f"http://127.0.0.1:{hook_server.server_port}/hook"
    settings.SENTINELLE = {**settings.SENTINELLE, "ALERT_WEBHOOK_URL": url}
    always_rule(admin, webhook_url=url)  # the same URL twice is called once
    secret = incident(monitor, cercle, 2, account="Récit très confidentiel")

    with django_capture_on_commit_callbacks(execute=True):
        [alert] = alerts_evaluate(incident_ids=[secret.pk])

    assert len(_Hook.received) == 1
    payload = _Hook.received[0]
    assert payload["alert"] == str(alert.public_id)
    assert payload["area"]["pcode"] == "ML0501" and payload["incidents"] == 1
    assert "confidentiel" not in json.dumps(payload)


def test_a_failing_webhook_breaks_nothing(
    admin, monitor, cercle, hook_server, django_capture_on_commit_callbacks, caplog
):
    _Hook.status = 500
    failing = f"http://127.0.0.1:{hook_server.server_port}/hook"
    always_rule(admin, webhook_url=failing)
    with django_capture_on_commit_callbacks(execute=True):
        fired = alerts_evaluate(incident_ids=[incident(monitor, cercle, 2).pk])
    assert len(fired) == 1 and Alert.objects.count() == 1
    assert "webhook failed" in caplog.text

    hook_server.shutdown()
    hook_server.server_close()
    assert webhook_call(failing, {"alert": "x"}) is False
    assert webhook_call("file:///etc/passwd", {"alert": "x"}) is False


# --- Demo ------------------------------------------------------------------------------------------


def test_the_demo_seed_is_idempotent(admin, imo, monitor, cercle):
    from io import StringIO

    from django.core.management.color import no_style

    from sentinelle.demo.monitoring import alerts as demo_alerts

    data = explosive_incident_input(cercle, date_start=days_ago(2), date_reported=today())
    make_incident(actor=monitor, area=cercle, status="submitted", data=data)
    for days in range(10):
        incident(monitor, cercle, days // 2 + 1)

    demo_alerts.seed(stdout=StringIO(), style=no_style())
    counts = (AlertRule.objects.count(), Alert.objects.count(), AreaFollow.objects.filter(user=imo).count())
    # The explosive accident, and 11 incidents in 7 days in the cercle (so in the region too).
    assert counts == (len(demo_alerts.RULES), 3, 1)
    assert FlashReport.objects.filter(status="published").count() == 1

    demo_alerts.seed(stdout=StringIO(), style=no_style())
    assert (AlertRule.objects.count(), Alert.objects.count(), AreaFollow.objects.count()) == counts
    assert FlashReport.objects.filter(status="published").count() == 1
