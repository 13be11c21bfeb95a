"""Figure invalidation is explicit (core/figure_cache.py): the services that change counted records move
their figures' stamps; the audit log moves none. These tests commit (transactional_db): stamps move when
the write commits. The incident figures themselves are tested in monitoring/tests/test_figure_cache.py."""

import pytest
from django.db import transaction
from django.urls import reverse

from sentinelle.cases.tests.factories_cases import commune_in, make_case
from sentinelle.core import figure_cache
from sentinelle.core.audit import audit_record
from sentinelle.core.models import AuditAction, AuditEntry, DataStamp
from sentinelle.monitoring.tests.factories import cercle_of, make_incident

pytestmark = pytest.mark.django_db(transaction=True)


def _stamps() -> dict[str, int]:
    return dict(DataStamp.objects.values_list("scope", "version"))


def test_figures_changed_moves_the_stamps_once_the_write_commits():
    with transaction.atomic():
        figure_cache.figures_changed("cases")
        figure_cache.figures_changed("cases", figure_cache.EVERYTHING)
        assert _stamps() == {}  # not before the commit: a reader could store figures without it
    assert _stamps() == {"cases": 1, "*": 1}  # once per transaction, whatever the number of calls
    with pytest.raises(RuntimeError), transaction.atomic():
        figure_cache.figures_changed("activities")
        raise RuntimeError
    assert _stamps() == {"cases": 1, "*": 1}
    figure_cache.figures_changed("cases")  # the next commit does not carry the rolled-back scope
    assert _stamps() == {"cases": 2, "*": 1}


def test_figures_changed_refuses_a_scope_no_figure_has():
    with pytest.raises(ValueError, match="reports"):
        figure_cache.figures_changed("reports")
    with pytest.raises(ValueError):
        figure_cache.figures_changed()
    assert _stamps() == {}


def test_an_audit_entry_moves_no_figure(admin):
    """The coupling that was: every audited write of a counted type moved its stamp, and only those."""
    audit_record(action=AuditAction.CREATE, user=admin, object_type="monitoring.incident", object_id="1")
    audit_record(action=AuditAction.IMPORT, user=admin, object_type="ingest.importjob", object_id="1")
    assert AuditEntry.objects.count() == 2
    assert _stamps() == {}


def test_a_service_that_changes_counted_records_moves_their_figures(caseworker_in_area, mopti):
    commune = commune_in(mopti)
    before = _stamps()  # compared with what was there (a stamp another test's server thread left)
    case = make_case(caseworker_in_area, commune)
    after = _stamps()
    assert case.pk and after.get("cases", 0) - before.get("cases", 0) == 2  # registered, then opened
    assert {scope: version for scope, version in after.items() if scope != "cases"} == {
        scope: version for scope, version in before.items() if scope != "cases"
    }


def test_an_audited_read_moves_no_figure(monitor, imo, mopti, signed_in):
    incident = make_incident(actor=monitor, area=cercle_of(mopti), status="submitted")
    before, entries = _stamps(), AuditEntry.objects.count()
    assert before["monitoring"] >= 1
    response = signed_in(imo).get(reverse("monitoring:incident-detail", args=[incident.public_id]))
    assert response.status_code == 200
    read = AuditEntry.objects.filter(action=AuditAction.READ, object_id=str(incident.public_id))
    assert read.exists() and AuditEntry.objects.count() > entries
    assert _stamps() == before


def test_a_computed_figure_is_kept_without_waiting_for_the_disk_and_read_back():
    """The cache's own commit does not wait for a WAL flush (PostgreSQL), for that transaction only: the
    next write of records still waits for the disk."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calls = []

    def compute():
        calls.append(1)
        return [{"count": 3}]

    with CaptureQueriesContext(connection) as queries:
        assert figure_cache.cached(scope="cases", parts=["test", 1], compute=compute) == [{"count": 3}]
    assert figure_cache.cached(scope="cases", parts=["test", 1], compute=compute) == [{"count": 3}]
    assert calls == [1]
    if connection.vendor == "postgresql":
        assert any("synchronous_commit = off" in q["sql"] for q in queries)
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
