import pytest

from sentinelle.core.models import AuditEntry
from sentinelle.core.pagination import CappedPaginator

pytestmark = pytest.mark.django_db


def _entries(n):
    """n entries of their own, apart from any a transactional test left (the log is append-only)."""
    from sentinelle.core.audit import audit_record

    for _ in range(n):
        audit_record(action="read", object_type="core.pagination-test")
    return AuditEntry.objects.filter(object_type="core.pagination-test").order_by("pk")


def test_counts_exactly_up_to_the_cap():
    paginator = CappedPaginator(_entries(7), 3, cap=7)
    assert paginator.count == 7 and not paginator.is_capped
    assert paginator.num_pages == 3
    assert len(paginator.get_page(3).object_list) == 1


def test_past_the_cap_it_says_more_and_still_pages(django_assert_max_num_queries):
    entries = _entries(9)
    paginator = CappedPaginator(entries, 3, cap=5)
    with django_assert_max_num_queries(1) as captured:
        assert paginator.count == 6 and paginator.is_capped
    # The count reads at most cap + 1 rows.
    assert "LIMIT 6" in captured.captured_queries[0]["sql"]
    assert [e.pk for e in paginator.get_page(2).object_list] == list(
        entries.values_list("pk", flat=True)[3:6]
    )
