"""`__in_ids`: the same rows as `__in`, with one bound parameter on PostgreSQL whatever the list's length."""

import pytest
from django.db import connection

from sentinelle.geography.models import AdminArea

pytestmark = pytest.mark.django_db


def test_in_ids_selects_the_same_rows_as_in(mopti):
    areas = list(AdminArea.objects.order_by("pk").values_list("pk", flat=True))
    wanted = [*areas[::2], 10**9]  # an id that exists nowhere
    by_in = set(AdminArea.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    by_ids = set(AdminArea.objects.filter(pk__in_ids=wanted).values_list("pk", flat=True))
    assert by_ids == by_in
    assert by_ids and 10**9 not in by_ids
    assert not AdminArea.objects.filter(pk__in_ids=[10**9]).exists()


def test_in_ids_follows_a_foreign_key(mopti):
    children = AdminArea.objects.filter(parent=mopti)
    assert set(AdminArea.objects.filter(parent_id__in_ids=[mopti.pk])) == set(children)
    assert set(AdminArea.objects.filter(parent__in_ids=[mopti.pk])) == set(children)


def test_in_ids_binds_one_parameter_on_postgresql(mopti):
    if connection.vendor != "postgresql":
        pytest.skip("the array form is PostgreSQL's")
    ids = list(range(1, 5001))
    sql, params = AdminArea.objects.filter(pk__in_ids=ids).values_list("pk").query.sql_with_params()
    assert "= ANY(" in sql
    assert len(params) == 1  # not 5,000 placeholders for the driver to scan
    assert AdminArea.objects.filter(pk__in_ids=ids).count() == AdminArea.objects.filter(pk__lte=5000).count()
