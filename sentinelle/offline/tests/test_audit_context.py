"""The audit context (core/audit/context.py) and the one-insert append of many entries that the offline
sync and caseload rely on."""

import pytest

from sentinelle.core.audit import (
    audit_context,
    audit_record,
    audit_record_many,
    current_audit_context,
    verify_log,
)
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.django_db


def test_entries_written_in_a_context_carry_it_and_nothing_leaks_after(worker):
    with audit_context(device="d-1", offline_at="2026-01-02T10:00:00+00:00"):
        with audit_context(change="c-1"):
            inner = audit_record(action=AuditAction.READ, user=worker, detail={"event": "x"})
        outer = audit_record(action=AuditAction.READ, user=worker, detail={"device": "own"})
    after = audit_record(action=AuditAction.READ, user=worker)

    assert inner.detail == {
        "device": "d-1",
        "offline_at": "2026-01-02T10:00:00+00:00",
        "change": "c-1",
        "event": "x",
    }
    assert outer.detail == {"device": "own", "offline_at": "2026-01-02T10:00:00+00:00"}  # its own wins
    assert after.detail == {} and current_audit_context() == {}


def test_many_entries_are_linked_in_order_in_one_insert(worker, case, django_assert_max_num_queries):
    objects = [case, case.person, case.organisation]

    # The same statements whatever the number of entries (the lock, the chain's head, one insert; a
    # savepoint or two on PostgreSQL).
    with django_assert_max_num_queries(6) as few:
        audit_record_many(action=AuditAction.READ, user=worker, objects=objects * 5)
    with django_assert_max_num_queries(len(few)):
        entries = audit_record_many(action=AuditAction.READ, user=worker, objects=objects, detail={"a": 1})

    stored = list(AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("id"))
    assert [entry.object_id for entry in stored] == [
        str(case.public_id),
        str(case.person.public_id),
        str(case.organisation.public_id),
    ]
    assert stored[1].prev_hash == stored[0].entry_hash and stored[2].prev_hash == stored[1].entry_hash
    assert verify_log().ok
    assert audit_record_many(action=AuditAction.READ, user=worker, objects=[]) == []


def test_each_entry_of_many_may_carry_its_own_detail_over_the_shared_one(worker, case):
    objects = [case, case.person]
    entries = audit_record_many(
        action=AuditAction.UPDATE,
        user=worker,
        objects=objects,
        detail={"rule": "r", "value": 0},
        details=[{"value": 3}, {"value": 5, "incidents_added": 2}],
    )
    stored = list(AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("id"))
    assert [entry.detail for entry in stored] == [
        {"rule": "r", "value": 3},
        {"rule": "r", "value": 5, "incidents_added": 2},
    ]
    assert verify_log().ok
    before = AuditEntry.objects.count()
    with pytest.raises(ValueError):
        audit_record_many(action=AuditAction.UPDATE, user=worker, objects=objects, details=[{}])
    assert AuditEntry.objects.count() == before
