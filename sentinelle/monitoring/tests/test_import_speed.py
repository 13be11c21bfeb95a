"""Import speed benchmark (issue 7 targets >= 25,000 rows/s): SENTINELLE_BENCH=1 pytest this file -s."""

import os
import time

import pytest

from sentinelle.monitoring.models import Incident
from sentinelle.monitoring.services.incidents import incident_import_many
from sentinelle.monitoring.tests.factories import cercle_of, days_ago, incident_input, victim

pytestmark = pytest.mark.skipif(
    not os.environ.get("SENTINELLE_BENCH"), reason="benchmark: set SENTINELLE_BENCH=1"
)


def test_import_10000_rows(monitor, alpha, mopti):
    area = cercle_of(mopti)
    rows = [
        incident_input(
            area,
            source_id=f"bench-{i}",
            date_start=days_ago(i % 300 + 10),
            victims=[victim("killed", "m", "18_59", 1 + i % 3), victim("injured", "f", "0_5", 1)],
            categories=["life", "integrity"],
        )
        for i in range(10_000)
    ]
    started = time.perf_counter()
    if os.environ.get("SENTINELLE_PROFILE"):
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(incident_import_many, actor=monitor, organisation=alpha, rows=rows)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    else:
        result = incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    elapsed = time.perf_counter() - started
    print(f"\n10,000 rows imported in {elapsed:.2f} s: {10_000 / elapsed:,.0f} rows/s")
    assert result.created == 10_000 == Incident.objects.count()
    started = time.perf_counter()
    again = incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    print(f"re-import (all unchanged) in {time.perf_counter() - started:.2f} s")
    assert again.unchanged == 10_000
