"""Alert pages by role: who manages rules, who edits and publishes flash reports, who is refused."""

import uuid

import pytest
from django.urls import reverse

from sentinelle.monitoring.models import Alert, AlertRule, AreaFollow, FlashReport
from sentinelle.monitoring.services.alert_rules import alert_rule_create
from sentinelle.monitoring.services.alerts import alerts_evaluate
from sentinelle.monitoring.tests.factories import cercle_of, days_ago, make_incident, today

pytestmark = pytest.mark.django_db

REFUSED = ["reader", "focal_point"]


@pytest.fixture
def rule(admin) -> AlertRule:
    return alert_rule_create(actor=admin, name="Toujours", kind=AlertRule.Kind.ALWAYS, threshold=1)


@pytest.fixture
def alert(rule, monitor, mopti) -> Alert:
    incident = make_incident(
        actor=monitor,
        area=cercle_of(mopti, pcode="ML0501", name_fr="Mopti-Cercle"),
        status="submitted",
        date_start=days_ago(2),
        date_reported=today(),
    )
    [fired] = alerts_evaluate(incident_ids=[incident.pk], notify=False)
    return fired


def rule_post(**overrides) -> dict:
    data = {
        "name": "Pic dans un cercle",
        "is_active": "on",
        "kind": "threshold",
        "area": "",
        "area_level": "2",
        "metric": "events",
        "threshold": "10",
        "window_days": "7",
        "webhook_url": "",
    }
    data.update(overrides)
    return data


# --- Rules ---------------------------------------------------------------------------------------


def test_admin_creates_edits_and_archives_a_rule(admin, mopti, signed_in):
    client = signed_in(admin)
    assert client.get(reverse("monitoring:alert-rule-create")).status_code == 200
    response = client.post(
        reverse("monitoring:alert-rule-create"), rule_post(area="ML05", categories=["life", "gbv"])
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.area, rule.categories, rule.threshold) == (mopti, ["gbv", "life"], 10)

    edit = reverse("monitoring:alert-rule-edit", args=[rule.public_id])
    assert client.get(edit).status_code == 200
    assert client.post(edit, rule_post(threshold="12")).status_code == 302
    rule.refresh_from_db()
    assert rule.threshold == 12 and rule.area is None

    assert client.get(reverse("monitoring:alert-rule-list")).status_code == 200
    client.post(reverse("monitoring:alert-rule-archive", args=[rule.public_id]))
    rule.refresh_from_db()
    assert rule.is_archived and not rule.is_active


def test_a_bad_rule_is_explained(admin, mopti, signed_in):
    client = signed_in(admin)
    response = client.post(reverse("monitoring:alert-rule-create"), rule_post(area="Atlantide"))
    assert response.status_code == 200 and "Atlantide" in response.content.decode()
    response = client.post(
        reverse("monitoring:alert-rule-create"), rule_post(kind="always", metric="events", threshold="3")
    )
    assert response.status_code == 200 and response.context["form"].errors["threshold"]
    assert not AlertRule.objects.exists()


def test_the_cluster_imo_creates_edits_and_archives_a_rule(imo, mopti, signed_in):
    """Setting the alert rules is the cluster IMO's job (issue 15, item 10), not only the administrator's."""
    client = signed_in(imo)
    listing = client.get(reverse("monitoring:alert-rule-list"))
    assert reverse("monitoring:alert-rule-create") in listing.content.decode()
    assert client.get(reverse("monitoring:alert-rule-create")).status_code == 200
    response = client.post(reverse("monitoring:alert-rule-create"), rule_post(area="ML05"))
    assert response.status_code == 302
    rule = AlertRule.objects.get()
    assert (rule.area, rule.created_by) == (mopti, imo)
    edit = reverse("monitoring:alert-rule-edit", args=[rule.public_id])
    assert client.post(edit, rule_post(threshold="12")).status_code == 302
    client.post(reverse("monitoring:alert-rule-archive", args=[rule.public_id]))
    rule.refresh_from_db()
    assert (rule.threshold, rule.is_archived, rule.updated_by) == (12, True, imo)


@pytest.mark.parametrize("actor_name", ["monitor", "manager", *REFUSED])
def test_others_may_not_create_or_edit_rules(request, actor_name, rule, signed_in):
    client = signed_in(request.getfixturevalue(actor_name))
    assert client.post(reverse("monitoring:alert-rule-create"), rule_post()).status_code == 403
    response = client.post(reverse("monitoring:alert-rule-edit", args=[rule.public_id]), rule_post())
    assert response.status_code == 403
    assert client.post(reverse("monitoring:alert-rule-archive", args=[rule.public_id])).status_code == 403
    rule.refresh_from_db()
    assert AlertRule.objects.count() == 1 and rule.name == "Toujours" and not rule.is_archived
    # Nor are they offered the buttons.
    listing = client.get(reverse("monitoring:alert-rule-list")).content.decode()
    assert reverse("monitoring:alert-rule-create") not in listing
    assert reverse("monitoring:alert-rule-edit", args=[rule.public_id]) not in listing


# --- Alerts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor_name", ["admin", "imo", "manager"])
def test_alert_pages_for_those_who_see_alerts(
    request, actor_name, alert, signed_in, django_assert_max_num_queries
):
    client = signed_in(request.getfixturevalue(actor_name))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("monitoring:alert-list"))
    assert response.status_code == 200 and "Mopti-Cercle" in response.content.decode()
    response = client.get(reverse("monitoring:alert-detail", args=[alert.public_id]))
    assert response.status_code == 200
    pdf = client.get(reverse("monitoring:flash-report-pdf", args=[alert.flash_report.public_id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf).startswith(b"%PDF")


def test_the_manager_acknowledges_then_closes(manager, alert, signed_in):
    client = signed_in(manager)
    client.post(reverse("monitoring:alert-acknowledge", args=[alert.public_id]))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACKNOWLEDGED
    client.post(reverse("monitoring:alert-close", args=[alert.public_id]))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED
    # A closed alert stays closed.
    response = client.post(reverse("monitoring:alert-acknowledge", args=[alert.public_id]), follow=True)
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLOSED


@pytest.mark.parametrize("actor_name", REFUSED)
def test_roles_without_alerts_are_refused_and_change_nothing(request, actor_name, alert, signed_in):
    client = signed_in(request.getfixturevalue(actor_name))
    report = alert.flash_report
    for name, args in [
        ("alert-list", []),
        ("alert-rule-list", []),
        ("alert-detail", [alert.public_id]),
        ("flash-report-edit", [report.public_id]),
        ("flash-report-pdf", [report.public_id]),
    ]:
        assert client.get(reverse(f"monitoring:{name}", args=args)).status_code == 403, name
    for name in ("alert-acknowledge", "alert-close"):
        assert client.post(reverse(f"monitoring:{name}", args=[alert.public_id])).status_code == 403
    response = client.post(
        reverse("monitoring:flash-report-edit", args=[report.public_id]), {"title": "X", "what": "Y"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("monitoring:flash-report-edit", args=[report.public_id]),
        {"title": "X", "immediate_needs": "Y", "action": "publish"},
    )
    assert response.status_code == 403
    alert.refresh_from_db()
    report.refresh_from_db()
    assert alert.status == Alert.Status.OPEN and report.title != "X" and report.status == "draft"


def test_unknown_uuids_are_404(admin, signed_in):
    client = signed_in(admin)
    unknown = uuid.uuid4()
    for name in ("alert-detail", "flash-report-edit", "flash-report-pdf", "alert-rule-edit"):
        assert client.get(reverse(f"monitoring:{name}", args=[unknown])).status_code == 404, name
    assert client.post(reverse("monitoring:alert-close", args=[unknown])).status_code == 404


# --- Flash reports -------------------------------------------------------------------------------


def flash_post(report, **overrides) -> dict:
    fields = ("title", "what", "where", "when", "victims", "displacement", "perpetrators", "response")
    data = {name: getattr(report, name) for name in fields}
    data["immediate_needs"] = ""
    data.update(overrides)
    return data


def test_the_imo_edits_and_publishes(imo, alert, signed_in):
    client = signed_in(imo)
    report = alert.flash_report
    url = reverse("monitoring:flash-report-edit", args=[report.public_id])
    page = client.get(url).content.decode()
    # Save and Publish are two buttons of one form: no second form that would drop what was typed.
    assert page.count('data-testid="flash-report-form"') == 1 and "/publier/" not in page
    assert 'name="action" value="save"' in page and 'name="action" value="publish"' in page

    assert client.post(url, flash_post(report, immediate_needs="Abris, soins.")).status_code == 302
    report.refresh_from_db()
    assert (report.status, report.immediate_needs) == ("draft", "Abris, soins.")
    response = client.post(url, flash_post(report, immediate_needs="Abris, soins.", action="publish"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.immediate_needs, report.published_by) == ("published", "Abris, soins.", imo)


def test_a_stale_draft_is_written_again_before_the_imo_sees_or_prints_it(imo, alert, signed_in):
    client = signed_in(imo)
    report = alert.flash_report
    FlashReport.objects.filter(pk=report.pk).update(what="Ancien texte", stale=True)
    page = client.get(reverse("monitoring:flash-report-edit", args=[report.public_id])).content.decode()
    report.refresh_from_db()
    assert not report.stale and report.what != "Ancien texte" and "Ancien texte" not in page
    FlashReport.objects.filter(pk=report.pk).update(what="Ancien texte", stale=True)
    response = client.get(reverse("monitoring:flash-report-pdf", args=[report.public_id]))
    report.refresh_from_db()
    assert response.status_code == 200 and not report.stale and report.what != "Ancien texte"


def test_a_refused_publication_keeps_what_was_typed(imo, alert, signed_in):
    """Issue 15, item 4: text typed before "Publish" is shown again with the reason, and saved as a draft."""
    client = signed_in(imo)
    report = alert.flash_report
    url = reverse("monitoring:flash-report-edit", args=[report.public_id])
    typed = flash_post(report, what="Trois villages touchés, récit complété.", action="publish")
    response = client.post(url, typed)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["what"].value() == "Trois villages touchés, récit complété."
    assert form.errors["immediate_needs"] and form.non_field_errors()
    assert "Trois villages touchés, récit complété." in response.content.decode()
    report.refresh_from_db()
    assert report.status == FlashReport.Status.DRAFT and report.published_by is None
    assert report.what == "Trois villages touchés, récit complété."  # saved, only not published


def test_a_title_refused_publishes_nothing(imo, alert, signed_in):
    client = signed_in(imo)
    report = alert.flash_report
    url = reverse("monitoring:flash-report-edit", args=[report.public_id])
    response = client.post(url, flash_post(report, title="", immediate_needs="Abris.", action="publish"))
    assert response.status_code == 200 and response.context["form"].errors["title"]
    report.refresh_from_db()
    assert report.status == FlashReport.Status.DRAFT and report.immediate_needs == ""


def test_the_manager_sees_but_may_not_edit_the_report(manager, alert, signed_in):
    client = signed_in(manager)
    report = alert.flash_report
    url = reverse("monitoring:flash-report-edit", args=[report.public_id])
    assert client.get(url).status_code == 403
    assert client.post(url, flash_post(report, title="Changé")).status_code == 403
    assert client.post(url, flash_post(report, immediate_needs="Abris.", action="publish")).status_code == 403
    report.refresh_from_db()
    assert report.title != "Changé" and report.status == "draft"


# --- Followed areas ------------------------------------------------------------------------------


def test_a_monitor_follows_and_unfollows_an_area(monitor, mopti, signed_in):
    client = signed_in(monitor)
    url = reverse("monitoring:area-follow-list")
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "follow", "area": "ml05"}).status_code == 302
    assert list(AreaFollow.objects.values_list("user", "area")) == [(monitor.pk, mopti.pk)]
    response = client.post(url, {"action": "follow", "area": "Atlantide"})
    assert response.status_code == 200 and AreaFollow.objects.count() == 1
    client.post(url, {"action": "unfollow", "area": str(mopti.public_id)})
    assert not AreaFollow.objects.exists()
    assert client.post(url, {"action": "unfollow", "area": "not-a-uuid"}).status_code == 404


@pytest.mark.parametrize("actor_name", ["reader", "focal_point"])
def test_roles_without_follow_are_refused(request, actor_name, mopti, signed_in):
    client = signed_in(request.getfixturevalue(actor_name))
    url = reverse("monitoring:area-follow-list")
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "follow", "area": "ML05"}).status_code == 403
    assert not AreaFollow.objects.exists()
