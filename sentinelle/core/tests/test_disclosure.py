"""Disclosure control (the cell key method): what a reader gets for a cell, from its value and key only.

Utility: no cell of 5 or more is hidden; every published cell is within ±2 of the exact one, never below
the threshold; the noise is unbiased for every value (over all keys) and bounded; totals are cells of
their own, always shown. Analysts see exact figures, marked where a reader sees something else."""

import datetime
import itertools
import random
from decimal import Decimal

import pytest

from sentinelle.core.disclosure import (
    NOISE_BOUND,
    NOISE_TABLE,
    TOTAL,
    Audience,
    Cell,
    Status,
    add_keys,
    analyst_legend,
    coarsest_area_level,
    noise,
    number,
    percent,
    protect,
    published,
    reader_note,
    reader_period,
    show_cell,
)
from sentinelle.core.record_keys import KEY_RANGE

VALUES = range(0, 400)


def test_every_row_of_the_table_covers_the_keys_and_is_unbiased():
    for band, row in NOISE_TABLE.items():
        assert sum(count for _amount, count in row) == KEY_RANGE, band
        assert sum(amount * count for amount, count in row) == 0, band
        assert all(abs(amount) <= NOISE_BOUND for amount, _count in row), band


@pytest.mark.parametrize("threshold", [5, 3, 10])
def test_the_noise_is_unbiased_and_bounded_for_every_value_over_all_keys(threshold):
    for value in range(threshold, 300):
        noises = [noise(value, key, threshold=threshold) for key in range(KEY_RANGE)]
        assert sum(noises) == 0, value  # mean exactly 0 over the keys
        assert max(abs(n) for n in noises) <= NOISE_BOUND, value
        # Never below the threshold: a cell of 5 or more is never published as a small count.
        assert min(value + n for n in noises) >= threshold, value
    assert {noise(threshold, key, threshold=threshold) for key in range(KEY_RANGE)} == {0}


def test_what_a_reader_gets_for_each_value():
    for value, key in itertools.product(VALUES, range(0, KEY_RANGE, 7)):
        shown = published(value, key, threshold=5)
        if value == 0:
            assert shown == 0
        elif value < 5:
            assert shown is None  # "<5"
        else:
            assert shown is not None and shown >= 5 and abs(shown - value) <= NOISE_BOUND


def test_the_same_cell_always_gets_the_same_figure_and_keys_mix_with_values():
    assert published(37, 1234, threshold=5) == published(37, 1234, threshold=5)
    # One key does not give the same noise at every value (the value is mixed into the look-up).
    amounts = {noise(value, 1234, threshold=5) for value in range(7, 200)}
    assert len(amounts) >= 3


def test_cells_without_a_key_are_published_exactly():
    for value in (0, 1, 3, 4, 5, 17):
        assert published(value, None, threshold=5) == value
        assert Cell(value, None).status(5) == Status.EXACT


def test_totals_are_cells_of_their_own_and_always_shown():
    counts = {("Mopti", "f"): 3, ("Mopti", "m"): 48, ("Ségou", "f"): 20, ("Ségou", "m"): 9}
    keys = {("Mopti", "f"): 11, ("Mopti", "m"): 2000, ("Ségou", "f"): 4000, ("Ségou", "m"): 77}
    table = protect(counts, keys=keys, threshold=5)
    assert table.show(table.cell("Mopti", "f")) == "<5"
    # No complementary suppression: every cell of 5 or more, and every total, is a number.
    for key, cell in table.cells.items():
        if cell.value >= 5:
            assert table.show(cell) != "<5" and table.show(cell) != "x", key
    grand = table.grand_total
    assert grand.value == 80 and grand.key == add_keys(*keys.values())
    assert table.row_total("Mopti").key == (11 + 2000) % KEY_RANGE
    assert abs(grand.published(5) - 80) <= NOISE_BOUND


def test_analysts_see_exact_figures_marked_where_a_reader_sees_something_else():
    small, moved = Cell(3, 5), next(Cell(40, key) for key in range(KEY_RANGE) if noise(40, key, threshold=5))
    same = next(Cell(40, key) for key in range(KEY_RANGE) if not noise(40, key, threshold=5))
    assert show_cell(small, threshold=5, audience=Audience.ANALYST) == "3*"
    assert show_cell(moved, threshold=5, audience=Audience.ANALYST) == "40†"
    assert show_cell(same, threshold=5, audience=Audience.ANALYST) == "40"
    assert show_cell(small, threshold=5, audience=Audience.PUBLIC) == "<5"
    assert show_cell(moved, threshold=5, audience=Audience.PUBLIC) == str(moved.published(5))
    assert "*" in analyst_legend(5) and "†" in analyst_legend(5)


def test_the_reader_note_says_protected_up_to_two_and_may_not_add_up():
    from django.utils import translation

    with translation.override("en"):
        note = reader_note(5)
    assert "<5" in note and "2" in note and "add up" in note


def test_thousands_are_written_the_french_way():
    cell = Cell(12345, None)
    assert show_cell(cell, threshold=5, audience=Audience.PUBLIC) == "12\u202f345"


@pytest.mark.parametrize(
    ("asked", "answered"),
    [
        ((datetime.date(2026, 3, 3), datetime.date(2026, 3, 17)), ("2026-03-01", "2026-03-31")),
        ((datetime.date(2026, 2, 1), datetime.date(2026, 3, 31)), ("2026-01-01", "2026-03-31")),
        ((datetime.date(2026, 2, 10), datetime.date(2026, 2, 11)), ("2026-02-01", "2026-02-28")),
        ((datetime.date(2026, 3, 1), datetime.date(2026, 5, 31)), ("2026-01-01", "2026-12-31")),
        ((datetime.date(2025, 11, 1), datetime.date(2026, 2, 28)), ("2025-01-01", "2026-12-31")),
        ((datetime.date(2026, 4, 5), None), ("2026-01-01", None)),
        ((None, None), (None, None)),
    ],
)
def test_readers_periods_are_calendar_months_quarters_or_years(asked, answered):
    start, end = reader_period(*asked)
    assert (start and start.isoformat(), end and end.isoformat()) == answered


def test_gbv_breakdowns_stop_at_the_protocol_level(settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 1}
    assert coarsest_area_level(3, gbv=True) == 1
    assert coarsest_area_level(3, gbv=False) == 3


def test_the_threshold_comes_from_the_settings(settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "DISCLOSURE_THRESHOLD": 10}
    table = protect({("a", "x"): 7, ("a", "y"): 50}, keys={("a", "x"): 1, ("a", "y"): 2})
    assert table.threshold == 10
    assert table.show(table.cell("a", "x")) == "<10"


@pytest.mark.parametrize("seed", range(20))
def test_random_tables_hide_only_small_cells_and_stay_within_two(seed):
    rng = random.Random(seed)
    rows, columns = [f"r{i}" for i in range(rng.randint(1, 6))], [f"c{j}" for j in range(rng.randint(1, 5))]
    counts = {
        key: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 40]) for key in itertools.product(rows, columns)
    }
    keys = {key: rng.randrange(KEY_RANGE) for key in counts}
    table = protect(counts, keys=keys, rows=rows, columns=columns, threshold=5)
    for key, cell in table.cells.items():
        shown = cell.published(5)
        if 0 < cell.value < 5:
            assert shown is None, key
        else:
            assert shown is not None and abs(shown - cell.value) <= NOISE_BOUND, key
    assert (TOTAL, TOTAL) in table.cells


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12345, "12\u202f345"),
        (Decimal("58.823529"), "58,8"),
        (Decimal("2400.0"), "2\u202f400"),
        (1234.56, "1\u202f234,6"),
        (Decimal("99.96"), "100"),
        ("<5", "<5"),
    ],
)
def test_numbers_are_written_the_french_way(value, text):
    assert number(value) == text


def test_a_percentage_has_a_decimal_comma_and_a_no_break_space():
    assert percent(Decimal("58.823529")) == "58,8\u00a0%"
    assert percent(Decimal("147.4"), 0) == "147\u00a0%"
