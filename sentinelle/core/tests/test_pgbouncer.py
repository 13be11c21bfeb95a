"""Sentinelle behind PgBouncer in transaction mode (settings.py: DATABASE_PGBOUNCER).

A server connection serves a client for one transaction, then another client: nothing may rely on state
kept between transactions (session SETs, WITH HOLD cursors, session advisory locks, prepared statements).
`.ci/run` starts PgBouncer (.ci/replica) and runs these tests with the core, accounts, cases and API suites
through it; elsewhere they are skipped.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from sentinelle.core.audit import audit_record, verify_chain
from sentinelle.core.models import AuditAction, AuditEntry

pytestmark = pytest.mark.pgbouncer


@pytest.mark.django_db
def test_the_database_is_reached_through_the_pooler():
    with connection.cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        (server_port,) = cursor.fetchone()
    assert server_port != int(connection.settings_dict["PORT"])
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    # No prepared statements (psycopg prepares none with Django's default).
    assert connection.connection.prepare_threshold is None


@pytest.mark.django_db(transaction=True)
def test_iterating_reads_across_transactions_keep_no_cursor_open(admin):
    first = [audit_record(action=AuditAction.READ, user=admin).pk for _ in range(5)]
    seen = []
    for entry in AuditEntry.objects.filter(pk__in=first).order_by("id").iterator(chunk_size=2):
        seen.append(entry.pk)
        # Each iteration commits a transaction: the pooler may give the server connection to another client.
        audit_record(action=AuditAction.READ, user=admin)
    assert seen == first
    assert verify_chain(batch_size=2) is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_to_one_chain_keep_it_whole(admin):
    """The chain's lock is a transaction-level advisory lock: held by whichever server connection runs
    the transaction, released at its end, never left behind on a pooled connection."""
    errors = []

    def append():
        try:
            for _ in range(5):
                with transaction.atomic():
                    audit_record(action=AuditAction.UPDATE, user=admin)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert AuditEntry.objects.filter(user=admin, action=AuditAction.UPDATE).count() == 15
    assert verify_chain() is None
