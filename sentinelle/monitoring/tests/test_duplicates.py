"""Probable duplicates between sources: detection on a window, link and dismiss by the IMO."""

import datetime
import random
from bisect import bisect_left, bisect_right
from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sentinelle.accounts.tests.factories import make_member
from sentinelle.core.models import Role
from sentinelle.monitoring.models import DuplicateCandidate, Incident
from sentinelle.monitoring.selectors.duplicates import (
    FIELDS,
    PairItem,
    area_relation,
    both_count_households,
    days_apart,
    duplicate_candidates,
    duplicate_candidates_page,
    pair_items,
    pair_reasons,
)
from sentinelle.monitoring.services.duplicates import duplicate_dismiss, duplicate_link, duplicates_detect
from sentinelle.monitoring.services.incidents import incident_import_many
from sentinelle.monitoring.tests.factories import (
    cercle_of,
    commune_of,
    days_ago,
    incident_input,
    make_incident,
    victim,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def area(mopti):
    return cercle_of(mopti)


@pytest.fixture
def beta_monitor(beta, mopti):
    return make_member(Role.MONITOR, beta, areas=[mopti], username="beta_monitor")


def _report(actor, area, *, status="submitted", **overrides):
    values = {"date_start": days_ago(10), "date_reported": days_ago(9)}
    values.update(overrides)
    return make_incident(actor=actor, area=area, status=status, **values)


def _reasons(candidate, language="fr") -> str:
    """The pair's reasons as the IMO reads them, in `language`."""
    pair = Incident.objects.filter(pk__in=[candidate.first_id, candidate.second_id]).order_by("pk")
    a, b = pair_items(pair)
    with translation.override(language):
        return " ".join(pair_reasons(a, b))


def test_same_event_from_two_organisations_is_proposed_with_reasons(monitor, beta_monitor, area):
    first = _report(monitor, area)
    second = _report(beta_monitor, commune_of(area), date_start=days_ago(9), reliability="c")
    [candidate] = duplicates_detect(incident_ids=[second.pk])
    assert (candidate.first_id, candidate.second_id) == (first.pk, second.pk)
    assert candidate.score >= 0.8
    assert DuplicateCandidate.objects.get().score == candidate.score
    text = _reasons(candidate)
    assert "contient l'autre" in text
    assert "1 jour d'écart" in text
    assert "deux organisations différentes" in text
    # Said in the reader's language, not stored in the detection's.
    assert "One area contains the other" in _reasons(candidate, "en")


def test_same_organisation_and_same_source_is_not_a_duplicate(monitor, area):
    _report(monitor, area)
    second = _report(monitor, area)
    assert duplicates_detect(incident_ids=[second.pk]) == []


def test_same_organisation_but_other_source_is_proposed(monitor, area):
    _report(monitor, area, source_mechanism="media")
    second = _report(monitor, area)
    [candidate] = duplicates_detect(incident_ids=[second.pk])
    assert "deux sources différentes" in _reasons(candidate)


@pytest.mark.parametrize(
    "overrides",
    [
        {"date_start": days_ago(20), "date_reported": days_ago(19)},  # ten days apart
        {"categories": ["property"], "victims": []},  # nothing in common
        {"victims": [victim("killed", "m", "18_59", 40)]},  # 2 killed vs 40
    ],
)
def test_different_events_are_not_proposed(monitor, beta_monitor, area, overrides):
    _report(monitor, area)
    second = _report(beta_monitor, area, **overrides)
    assert duplicates_detect(incident_ids=[second.pk]) == []


def test_other_cercle_and_drafts_are_not_compared(monitor, beta_monitor, area, mopti):
    _report(monitor, cercle_of(mopti, pcode="ML0502"))
    _report(monitor, area, status="draft")
    second = _report(beta_monitor, area)
    assert duplicates_detect(incident_ids=[second.pk]) == []


def test_detection_reads_a_window_in_a_constant_number_of_queries(monitor, beta_monitor, alpha, beta, area):
    rows = [incident_input(area, date_start=days_ago(10 + i * 20), source_id=f"a{i}") for i in range(15)]
    incident_import_many(actor=monitor, organisation=alpha, rows=rows)
    theirs = incident_import_many(
        actor=beta_monitor,
        organisation=beta,
        rows=[*rows[:5], incident_input(area, date_start=days_ago(400))],
    )
    ids = [incident.pk for incident in theirs.incidents]
    with CaptureQueriesContext(connection) as queries:
        found = duplicates_detect(incident_ids=ids)
    assert len(found) == 5
    # Two reads per cluster of dates in a cercle (incidents, their categories), whatever the table size.
    assert len(queries) <= 20
    # Only the dates around the new incidents are read, never the whole table.
    window_queries = [q["sql"] for q in queries if "date_start" in q["sql"] and "BETWEEN" in q["sql"]]
    assert window_queries


def test_detection_is_idempotent_and_respects_decisions(monitor, beta_monitor, imo, area):
    first = _report(monitor, area)
    second = _report(beta_monitor, area)
    duplicates_detect(incident_ids=[second.pk])
    duplicates_detect(incident_ids=[first.pk, second.pk])
    candidate = DuplicateCandidate.objects.get()
    duplicate_dismiss(actor=imo, candidate=candidate)
    duplicates_detect(incident_ids=[first.pk, second.pk])
    assert DuplicateCandidate.objects.get().status == "dismissed"
    for incident in (first, second):
        incident.refresh_from_db()
        assert incident.duplicate_of is None


def test_link_keeps_the_more_reliable_report_and_records_both_timelines(monitor, beta_monitor, imo, area):
    weaker = _report(monitor, area, reliability="d")
    stronger = _report(beta_monitor, area, reliability="a")
    [candidate] = duplicates_detect(incident_ids=[stronger.pk])
    kept = duplicate_link(actor=imo, candidate=candidate)
    assert kept == stronger
    weaker.refresh_from_db()
    assert weaker.duplicate_of == stronger
    assert not weaker.counts_in_statistics
    assert weaker.events.filter(kind="linked").get().changes == {"duplicate_of": [None, stronger.reference]}
    assert stronger.events.filter(kind="linked").exists()
    candidate.refresh_from_db()
    assert candidate.status == "linked" and candidate.reviewed_by == imo
    with pytest.raises(ValidationError):
        duplicate_link(actor=imo, candidate=candidate)


def test_link_follows_earlier_links_to_one_canonical(monitor, beta_monitor, imo, outsider, area):
    third_org_monitor = make_member(Role.MONITOR, outsider.memberships.get().organisation, username="x")
    a = _report(monitor, area, reliability="a")
    b = _report(beta_monitor, area, reliability="b", source_mechanism="media")
    c = _report(third_org_monitor, area, reliability="c", source_mechanism="rrm")
    duplicates_detect(incident_ids=[a.pk, b.pk, c.pk])
    ab = DuplicateCandidate.objects.get(first=a, second=b)
    bc = DuplicateCandidate.objects.get(first=b, second=c)
    duplicate_link(actor=imo, candidate=ab)
    duplicate_link(actor=imo, candidate=bc)
    assert set(Incident.objects.filter(duplicate_of=a).values_list("pk", flat=True)) == {b.pk, c.pk}


def test_imo_may_choose_the_canonical_report(monitor, beta_monitor, imo, area):
    weaker = _report(monitor, area, reliability="d")
    stronger = _report(beta_monitor, area, reliability="a")
    [candidate] = duplicates_detect(incident_ids=[stronger.pk])
    assert duplicate_link(actor=imo, candidate=candidate, canonical=weaker) == weaker
    stronger.refresh_from_db()
    assert stronger.duplicate_of == weaker


def test_only_the_imo_reviews_and_refusals_change_nothing(monitor, beta_monitor, manager, reader, area):
    _report(monitor, area)
    second = _report(beta_monitor, area)
    [candidate] = duplicates_detect(incident_ids=[second.pk])
    for user in (monitor, manager, reader):
        with pytest.raises(PermissionDenied):
            duplicate_link(actor=user, candidate=candidate)
        with pytest.raises(PermissionDenied):
            duplicate_dismiss(actor=user, candidate=candidate)
        assert not duplicate_candidates(user=user).exists()
    candidate.refresh_from_db()
    assert candidate.status == "pending"
    assert not Incident.objects.filter(duplicate_of__isnull=False).exists()


def test_candidates_list_for_the_imo(monitor, beta_monitor, imo, area, django_assert_max_num_queries):
    for days in (10, 30, 50):
        _report(monitor, area, date_start=days_ago(days), date_reported=days_ago(days - 1))
        second = _report(beta_monitor, area, date_start=days_ago(days), date_reported=days_ago(days - 1))
        duplicates_detect(incident_ids=[second.pk])
    with django_assert_max_num_queries(3):
        rows = [
            (c.first.reference, c.second.area.name_fr, c.first.organisation.acronym)
            for c in duplicate_candidates(user=imo)
        ]
    assert len(rows) == 3


def test_a_page_of_pairs_carries_their_reasons_from_one_more_query(
    monitor, beta_monitor, imo, area, django_assert_max_num_queries
):
    for days in (10, 30, 50):
        _report(monitor, area, date_start=days_ago(days), date_reported=days_ago(days - 1))
        second = _report(beta_monitor, area, date_start=days_ago(days), date_reported=days_ago(days - 1))
        duplicates_detect(incident_ids=[second.pk])
    with translation.override("fr"), django_assert_max_num_queries(5):
        page = duplicate_candidates_page(user=imo, status="pending", number=1, per_page=8)
        shown = [(candidate.first.reference, candidate.reasons) for candidate in page]
    assert len(shown) == 3
    for _reference, reasons in shown:
        assert reasons[0].startswith("Même zone") and "Mêmes dates." in reasons


def test_items_are_loaded_in_field_order(monitor, area):
    import dataclasses

    # pair_items builds items positionally from FIELDS.
    assert [f.name for f in dataclasses.fields(PairItem)][: len(FIELDS)] == list(FIELDS)
    first = _report(monitor, area, source_mechanism="media")
    second = _report(monitor, area)
    a, b = pair_items(Incident.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk"))
    assert a.id == first.pk and a.categories == {"life"}
    assert area_relation(a, b) == "same" and days_apart(a, b) == 0


# --- The set-based detection proposes what the pairwise reading proposed -------------------------------


def _similar(a: int, b: int) -> float:
    return 1.0 if a == b else 1 - abs(a - b) / max(a, b)


def _score(a, b) -> float:
    """The similarity, as services/duplicates.py's docstring defines it, pair by pair in Python (0 when
    the pair cannot be the same event)."""
    from sentinelle.monitoring.services.duplicates import TIE_UP, WEIGHTS, WINDOW_DAYS

    different_source = a.organisation_id != b.organisation_id or a.source_mechanism != b.source_mechanism
    common = a.categories & b.categories
    gap = days_apart(a, b)
    if not different_source or not common or common == {"gbv"} or gap > WINDOW_DAYS:
        return 0.0
    area_score = {"same": 1.0, "contains": 0.8, "neighbours": 0.6}[area_relation(a, b)]
    similarities = []
    if a.victims_total or b.victims_total:
        similarities += [_similar(a.victims_total, b.victims_total), _similar(a.killed_total, b.killed_total)]
    if both_count_households(a, b):
        similarities.append(_similar(a.displaced_households, b.displaced_households))
    return round(
        TIE_UP
        + WEIGHTS["area"] * area_score
        + WEIGHTS["date"] * (1 - gap / (WINDOW_DAYS + 1))
        + WEIGHTS["categories"] * len(common) / len(a.categories | b.categories)
        + WEIGHTS["victims"] * (sum(similarities) / len(similarities) if similarities else 0.5),
        3,
    )


def _pairwise_reference(ids) -> dict:
    """The detection read pair by pair (every new incident against every incident of its cercle's
    window, in Python): {(first, second): score}."""
    from sentinelle.geography.models import AdminArea
    from sentinelle.monitoring.services.duplicates import STATUSES, THRESHOLD, WINDOW_DAYS

    window_days = datetime.timedelta(days=WINDOW_DAYS)
    new = pair_items(Incident.objects.filter(pk__in=ids, status__in=STATUSES, duplicate_of__isnull=True))
    by_cercle = defaultdict(list)
    for item in new:
        by_cercle[(item.area__version_id, item.cercle_path)].append(item)
    pairs = {}
    for (version_id, cercle_path), items in by_cercle.items():
        ranges = []
        for item in sorted(items, key=lambda i: i.date_start):
            low, high = item.date_start - window_days, item.last_day + window_days
            if ranges and low <= ranges[-1][1] + datetime.timedelta(days=30):
                ranges[-1][1] = max(ranges[-1][1], high)
            else:
                ranges.append([low, high])
        areas = AdminArea.objects.filter(version_id=version_id, path__startswith=cercle_path)
        for low, high in ranges:
            window = pair_items(
                Incident.objects.filter(
                    area__in=areas,
                    date_start__range=(low - window_days, high),
                    status__in=STATUSES,
                    duplicate_of__isnull=True,
                )
            )
            window.sort(key=lambda i: i.date_start)
            starts = [i.date_start for i in window]
            for item in items:
                if not low <= item.date_start <= high:
                    continue
                left = bisect_left(starts, item.date_start - 2 * window_days)
                right = bisect_right(starts, item.last_day + window_days)
                for other in window[left:right]:
                    key = (min(item.id, other.id), max(item.id, other.id))
                    if other.id == item.id or key in pairs:
                        continue
                    score = _score(item, other)
                    if score >= THRESHOLD:
                        pairs[key] = score
    return pairs


def _varied_incidents(monitor, organisations, cercles, count: int, seed: int) -> list[int]:
    """`count` submitted incidents, then varied column by column (organisation, source, place, dates,
    status, counts, categories) as detection reads them."""
    from sentinelle.monitoring.models import IncidentCategory

    rng = random.Random(seed)
    rows = [incident_input(cercles[0], source_id=f"v{seed}-{i}") for i in range(count)]
    incidents = list(incident_import_many(actor=monitor, organisation=organisations[0], rows=rows).incidents)
    places = [area for cercle in cercles for area in (cercle, *cercle.children.all())]
    categories = ["life", "integrity", "property", "movement", "gbv"]
    links = []
    for incident in incidents:
        incident.organisation = rng.choice(organisations)
        incident.source_id = ""
        incident.source_mechanism = rng.choice(["monitoring_interview", "media", "rrm"])
        incident.area = rng.choice(places)
        incident.date_start = days_ago(rng.randrange(5, 45))
        incident.date_end = (
            incident.date_start + datetime.timedelta(days=rng.randrange(0, 7)) if rng.random() < 0.3 else None
        )
        incident.status = rng.choice(["submitted"] * 8 + ["verified", "draft"])
        incident.victims_total = rng.choice([0, 0, 1, 2, 2, 3, 5, 8])
        incident.killed_total = rng.randrange(0, incident.victims_total + 1)
        incident.displaced_households = rng.choice([None, None, 0, 4, 5, 12])
        chosen = {"gbv"} if rng.random() < 0.1 else set(rng.sample(categories, rng.randrange(1, 4)))
        links += [IncidentCategory(incident=incident, category=category) for category in chosen]
    Incident.objects.bulk_update(
        incidents,
        [
            "organisation",
            "source_id",
            "source_mechanism",
            "area",
            "date_start",
            "date_end",
            "status",
            "victims_total",
            "killed_total",
            "displaced_households",
        ],
    )
    IncidentCategory.objects.filter(incident__in=incidents).delete()
    IncidentCategory.objects.bulk_create(links)
    # A few already linked as duplicates: neither side of a pair any more.
    for duplicate, canonical in zip(incidents[:6], incidents[6:12], strict=True):
        Incident.objects.filter(pk=duplicate.pk).update(duplicate_of=canonical)
    return [incident.pk for incident in incidents]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_set_based_detection_proposes_exactly_what_the_pairwise_reading_proposed(
    monitor, alpha, beta, cluster, mopti, seed
):
    cercles = [cercle_of(mopti, pcode="ML0501"), cercle_of(mopti, pcode="ML0502")]
    for number in (1, 2, 3):
        commune_of(cercles[0], pcode=f"ML05010{number}")
    commune_of(cercles[1], pcode="ML050201")
    ids = _varied_incidents(monitor, [alpha, beta, cluster], cercles, 240, seed)
    new = random.Random(seed).sample(ids, 90)
    expected = _pairwise_reference(new)

    found = duplicates_detect(incident_ids=new)

    stored = {(c.first_id, c.second_id): c.score for c in DuplicateCandidate.objects.all()}
    assert stored == expected
    assert {(c.first_id, c.second_id): c.score for c in found} == expected
    assert len(expected) > 20  # the generated set does propose pairs, of every kind of reason
    reasons = " ".join(_reasons(candidate) for candidate in found)
    for phrase in ("Même zone", "contient l'autre", "voisines", "Mêmes dates", "d'écart", "sources"):
        assert phrase in reasons
    # Run again: nothing new, nothing changed.
    assert duplicates_detect(incident_ids=new) == []
    assert DuplicateCandidate.objects.count() == len(expected)
