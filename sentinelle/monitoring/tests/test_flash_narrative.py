"""The sentences of a flash report's draft (services/flash_narrative.py): what happened, where with P-codes,
who is affected, the comparison with the previous period, the response; needs suggested, never filled."""

import re
import shutil
import subprocess

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from sentinelle.directory.models import Service, ServiceType
from sentinelle.monitoring.flash_pdf import flash_report_document, flash_report_pdf
from sentinelle.monitoring.forms.alerts import FlashReportForm
from sentinelle.monitoring.models import AlertRule
from sentinelle.monitoring.services import flash_narrative
from sentinelle.monitoring.services.alert_rules import alert_rule_create
from sentinelle.monitoring.services.alerts import alerts_evaluate
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    days_ago,
    flash_report_of,
    gbv_overrides,
    make_incident,
    today,
    victim,
)

pytestmark = pytest.mark.django_db


def site(text_function, *args, **kwargs) -> str:
    """A text as the draft writes it: in the site language, whatever the test's."""
    with translation.override(settings.LANGUAGE_CODE):
        return text_function(*args, **kwargs)


def fmt(message: str, **values) -> str:
    return site(lambda: _(message) % values)


@pytest.fixture
def cercle(mopti):
    return cercle_of(mopti, pcode="ML0503", name_fr="Bandiagara")


@pytest.fixture
def commune(cercle):
    return commune_of(cercle, pcode="ML050301", name_fr="Dourou")


def _incidents(monitor, commune, count: int, days: int, **overrides) -> list:
    return [
        make_incident(
            actor=monitor,
            area=commune,
            status="submitted",
            date_start=days_ago(days),
            date_reported=today(),
            **overrides,
        )
        for _ in range(count)
    ]


def _threshold_alert(admin, monitor, commune, *, now: int, before: int, gbv_before: int = 0, gbv_actor=None):
    """A cercle's spike: `now` incidents two days ago, `before` (and GBV ones, recorded by a GBV service
    provider's case worker) in the previous week."""
    alert_rule_create(
        actor=admin, name="Pic", kind=AlertRule.Kind.THRESHOLD, area_level=2, threshold=3, window_days=7
    )
    _incidents(monitor, commune, before, 10)
    _incidents(gbv_actor, commune, gbv_before, 10, **gbv_overrides())
    current = _incidents(monitor, commune, now, 2)
    [alert] = alerts_evaluate(incident_ids=[incident.pk for incident in current], notify=False)
    return alert


def test_a_single_incident_is_told_in_sentences(admin, monitor, commune, cercle):
    alert_rule_create(
        actor=admin, name="Au moins 3 victimes", kind=AlertRule.Kind.ALWAYS, metric="victims", threshold=3
    )
    incident = make_incident(
        actor=monitor,
        area=commune,
        status="submitted",
        date_start=days_ago(3),
        date_reported=days_ago(1),
        victims=[victim("killed", "m", "18_59", 2), victim("injured", "f", "12_17", 1)],
        displaced_individuals=70,
    )
    [alert] = alerts_evaluate(incident_ids=[incident.pk], notify=False)
    report = flash_report_of(alert)
    # What, where (names with their P-codes in brackets), the rule.
    place = site(flash_narrative.place_name, "Dourou", "ML050301", 3, article=True)
    assert place in report.what and "(ML0503)" in report.what and "(ML05)" in report.what
    assert site(flash_narrative.period, days_ago(3), days_ago(3))[1:] in report.what
    assert "Au moins 3 victimes" in report.what
    # Who is affected, with the readers' figures: 3 victims, a girl among them, read "<5".
    assert fmt("%(n)s children", n="<5") in report.what
    assert fmt("%(n)s women and girls", n="<5") in report.what
    outcomes = ", ".join([fmt("%(n)s killed", n="<5"), fmt("%(n)s injured", n="<5")])
    assert fmt("The incident left %(total)s victims (%(outcomes)s)", total="<5", outcomes=outcomes) in (
        report.what
    )
    # 70 people displaced: the readers' figure, within 2.
    displaced = re.search(fmt("%(n)s people were displaced.", n=r"(\d+)").replace(".", r"\."), report.what)
    assert displaced and abs(int(displaced.group(1)) - 70) <= 2
    assert "(ML050301)" in report.where
    # No data dump: no per-area counts, no reliability or source tallies.
    assert "ML050301): " not in report.where
    assert fmt("Sources: %(sources)s. Reliability: %(reliability)s.", sources="", reliability="")[:8] not in (
        report.what
    )


def test_the_previous_period_is_compared_with_readers_figures(admin, monitor, commune):
    alert = _threshold_alert(admin, monitor, commune, now=6, before=15)
    report = flash_report_of(alert)
    assert report.figures["previous"] == {
        "window": [days_ago(15).isoformat(), days_ago(9).isoformat()],
        "incidents": 15,
    }
    previous = site(flash_narrative.period, days_ago(15), days_ago(9))
    assert previous in report.what
    fewer = fmt("That is fewer than in the previous %(days)s days (%(period)s): %(previous)s.", days=7,
                period=previous, previous="")  # fmt: skip
    assert fewer[:-1] in report.what


def test_a_small_figure_is_not_compared(admin, monitor, commune):
    alert = _threshold_alert(admin, monitor, commune, now=3, before=15)
    report = flash_report_of(alert)
    assert report.figures["previous"]["incidents"] == 15
    for word in ("That is fewer than", "That is more than", "That is about as many as"):
        assert site(_, f"{word} in the previous %(days)s days (%(period)s): %(previous)s.")[:12] not in (
            report.what
        )


def test_below_the_protocols_level_gbv_incidents_are_left_out_of_the_previous_period(
    admin, monitor, caseworker_in_area, commune
):
    alert = _threshold_alert(
        admin, monitor, commune, now=6, before=15, gbv_before=4, gbv_actor=caseworker_in_area
    )
    assert alert.area.level == 2
    assert flash_report_of(alert).figures["previous"]["incidents"] == 15


def test_needs_are_suggested_to_the_imo_never_filled_in(admin, monitor, commune):
    alert = _threshold_alert(admin, monitor, commune, now=6, before=0)
    report = flash_report_of(alert)
    need = site(lambda: str(flash_narrative.RESPONSES["life"].needs[0]))
    assert report.immediate_needs == ""
    assert need in report.figures["suggested_needs"]
    form = FlashReportForm(suggested_needs=report.figures["suggested_needs"])
    assert need in str(form.fields["immediate_needs"].help_text)
    assert need not in str(FlashReportForm().fields["immediate_needs"].help_text)


def test_the_response_names_the_directorys_services_there(admin, monitor, alpha, commune, cercle):
    Service.objects.create(name="CSCOM Dourou", service_type=ServiceType.HEALTH, provider=alpha, area=commune)
    Service.objects.create(
        name="Fermé", service_type=ServiceType.PSS, provider=alpha, area=commune, status="closed"
    )
    alert = _threshold_alert(admin, monitor, commune, now=6, before=0)
    response = flash_report_of(alert).response
    health = site(lambda: str(ServiceType.HEALTH.label).lower())
    pss = site(lambda: str(ServiceType.PSS.label).lower())
    assert f"{health} (1)" in response and "(ML0503)" in response
    # A closed service is not offered; the missing type is said to be missing.
    assert fmt("No service known there for: %(list)s.", list=pss).split(":")[0] in response
    assert pss in response.split("\n")[-1]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_the_pdf_carries_the_sentences_and_stays_short(admin, monitor, commune, tmp_path):
    alert = _threshold_alert(admin, monitor, commune, now=6, before=15)
    report = flash_report_of(alert)
    assert len(flash_report_document(report).pages) <= 2
    path = tmp_path / "flash.pdf"
    path.write_bytes(flash_report_pdf(report))
    command = [shutil.which("pdftotext"), str(path), "-"]
    text = " ".join(subprocess.run(command, capture_output=True, check=True, text=True).stdout.split())  # noqa: S603
    first_sentence = report.what.split(". ")[0]
    assert " ".join(first_sentence.split()) in text
    assert "(ML050301)" in text and "(ML0503)" in text
