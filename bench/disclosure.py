"""`python -m bench.run disclosure`: the differencing attacker of the test suite against the bench database.

The attacker (sentinelle/reports/tests/disclosure_attacker.py) asks, with a reader's API token and a
reader's session, the statistics API and the dashboard downloads for Mali, every region, and the cercles
and communes of the busiest region and cercle, over every run of months of the last complete quarter; then
it subtracts and chains every sum. The run passes when no subtraction pins a count from 1 to 4, no chain
pins a GBV figure below the region, every count of 5 or more is shown within the documented bound, and one
set of records always reads the same. Written to bench/results/disclosure-<date>.md.
"""

from __future__ import annotations

import time
from pathlib import Path


def run(*, results: Path, stamp: str, log) -> bool:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.test import APIClient

    from sentinelle.api.tokens import api_token_create
    from sentinelle.reports.tests.attacker_world import world_from_database
    from sentinelle.reports.tests.disclosure_attacker import cell_key_bounds
    from sentinelle.reports.tests.test_disclosure_attacker import attack, verify

    reader = get_user_model().objects.filter(memberships__role="reader").order_by("username").first()
    if reader is None:
        raise SystemExit("No reader account in the bench database (run `make bench` first).")
    _token, secret = api_token_create(actor=reader, label="bench-disclosure")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    web = Client()
    web.force_login(reader)
    started = time.perf_counter()
    world = world_from_database(deep_regions=1, deep_cercles=1)
    log(f"Attacking as {reader.username}: {len(world.areas())} areas, from {world.months[0][0]}")
    attacker, harness = attack(world, api, web, bounds=cell_key_bounds())
    outcome, passed = "passed", True
    try:
        verify(attacker, harness, small=0, shown=0, questions=0)
    except AssertionError as failure:
        outcome, passed = f"FAILED: {str(failure)[:2000]}", False
    elapsed = round(time.perf_counter() - started, 1)
    chained = attacker.recovered()
    lines = [
        f"# Disclosure attacker on the bench database, {stamp} UTC",
        "",
        f"Reader: `{reader.username}`. Areas: {len(world.areas())} (Mali, {len(world.regions)} regions, "
        f"{len(world.cercles)} cercles, {len(world.communes)} communes). Months: {world.months[0][0]} to "
        f"{world.months[-1][1]}. Time: {elapsed} s.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| questions asked (API tables and dashboard downloads) | {harness.questions} |",
        f"| distinct sets of records seen | {len(harness.seen)} |",
        f"| cells read \u201c<5\u201d | {len(attacker.hidden)} |",
        "| counts 1-4 pinned by a subtraction of published figures | "
        f"{len(attacker.recovered_by_differencing())} |",
        f"| the same, counting other \u201c<5\u201d cells as 1 to 4 | "
        f"{len(attacker.recovered_by_differencing(visible_only=False))} |",
        f"| counts 1-4 pinned by chaining every sum (bounds propagation) | {len(chained)} |",
        f"| GBV figures below the region pinned | {len(attacker.gbv_recovered())} |",
        "",
        f"Outcome: {outcome}",
        "",
    ]
    path = results / f"disclosure-{stamp}.md"
    path.write_text("\n".join(lines))
    log(f"Written {path}: {outcome[:80]}")
    return passed
