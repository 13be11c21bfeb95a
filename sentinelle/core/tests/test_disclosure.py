"""Disclosure control: small cells hidden, complementary cells hidden so that no line can be solved."""

import itertools
import random

import pytest

from sentinelle.core.disclosure import (
    TOTAL,
    Audience,
    Cell,
    Suppression,
    coarsest_area_level,
    protect,
    protect_rows,
)


def _lines(table):
    rows, columns = [*table.rows, TOTAL], [*table.columns, TOTAL]
    return [[(r, c) for c in columns] for r in rows] + [[(r, c) for r in rows] for c in columns]


def assert_safe(table):
    """No visible cell under the threshold; no line with exactly one hidden non-zero cell."""
    for key, cell in table.cells.items():
        if 0 < cell.value < table.threshold:
            assert cell.suppressed, key
    for line in _lines(table):
        hidden = [key for key in line if table.cells[key].suppressed and table.cells[key].value > 0]
        assert len(hidden) != 1, (line, hidden)


def test_small_cells_are_hidden_for_the_public_and_marked_for_analysts():
    counts = {("Mopti", "f"): 3, ("Mopti", "m"): 12, ("Ségou", "f"): 20, ("Ségou", "m"): 9}
    public = protect(counts, threshold=5)
    assert public.show(public.cell("Mopti", "f")) == "<5"
    assert public.cell("Mopti", "f").suppression == Suppression.PRIMARY
    analyst = protect(counts, threshold=5, audience=Audience.ANALYST)
    assert analyst.show(analyst.cell("Mopti", "f")) == "3*"
    assert analyst.show(analyst.grand_total) == "44"
    assert_safe(public)


def test_complementary_cells_stop_subtraction_from_the_totals():
    # Mopti's total (15) minus its men (12) would give the 3 women: another Mopti cell must go, and
    # then the column of that cell needs a second hidden cell too.
    counts = {("Mopti", "f"): 3, ("Mopti", "m"): 12, ("Ségou", "f"): 20, ("Ségou", "m"): 9}
    table = protect(counts, threshold=5)
    assert table.cell("Mopti", "m").suppression == Suppression.COMPLEMENTARY
    assert table.cell("Ségou", "f").suppressed or table.column_total("f").suppressed
    assert_safe(table)
    # The shown grand total is exact: nothing is perturbed, only hidden.
    assert table.grand_total.value == 44


def test_zeros_stay_visible_and_a_lone_small_row_hides_its_total():
    table = protect({("Gao", "f"): 2, ("Gao", "m"): 0, ("Kidal", "f"): 7, ("Kidal", "m"): 8}, threshold=5)
    assert not table.cell("Gao", "m").suppressed
    assert table.row_total("Gao").suppressed  # 2 < 5 on its own
    assert_safe(table)


def test_a_one_column_list_with_its_total():
    table = protect({("a", "n"): 1, ("b", "n"): 40, ("c", "n"): 50}, threshold=5)
    assert table.cell("a", "n").suppressed
    assert table.cell("b", "n").suppression == Suppression.COMPLEMENTARY  # the smallest other line
    assert not table.cell("c", "n").suppressed
    assert_safe(table)


def test_no_small_cell_means_nothing_hidden():
    table = protect({("a", "x"): 5, ("a", "y"): 6, ("b", "x"): 0, ("b", "y"): 100}, threshold=5)
    assert table.suppressed_count == 0
    assert table.show(table.grand_total) == "111"


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_are_always_safe(seed):
    rng = random.Random(seed)
    rows, columns = [f"r{i}" for i in range(rng.randint(1, 6))], [f"c{j}" for j in range(rng.randint(1, 5))]
    counts = {key: rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15, 40]) for key in itertools.product(rows, columns)}
    table = protect(counts, rows=rows, columns=columns, threshold=5)
    assert_safe(table)
    for key, value in counts.items():
        assert table.cell(*key).value == value


def test_protect_rows_reads_dataset_rows():
    rows = [
        {"admin1": "ML05", "sex": "f", "victims": 2},
        {"admin1": "ML05", "sex": "m", "victims": 30},
        {"admin1": "ML04", "sex": "f", "victims": 11},
        {"admin1": "ML04", "sex": "m", "victims": 12},
    ]
    table = protect_rows(rows, row_key="admin1", column_key="sex", measure="victims", threshold=5)
    assert table.show(table.cell("ML05", "f")) == "<5"
    assert_safe(table)


def test_the_threshold_comes_from_the_settings(settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "DISCLOSURE_THRESHOLD": 10}
    table = protect({("a", "x"): 7, ("a", "y"): 50})
    assert table.threshold == 10
    assert table.show(table.cell("a", "x")) == "<10"


def test_gbv_breakdowns_stop_at_the_protocol_level(settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 1}
    assert coarsest_area_level(3, gbv=True) == 1
    assert coarsest_area_level(3, gbv=False) == 3
    settings.SENTINELLE = {**settings.SENTINELLE, "GBV_MIN_ADMIN_LEVEL": 2}
    assert coarsest_area_level(2, gbv=True) == 2
    assert Cell(3).suppressed is False


def test_a_complementary_cell_reads_hidden_not_small():
    counts = {("Mopti", "f"): 3, ("Mopti", "m"): 48, ("Ségou", "f"): 20, ("Ségou", "m"): 9}
    table = protect(counts, threshold=5)
    assert table.cell("Mopti", "m").suppression == Suppression.COMPLEMENTARY
    assert table.show(table.cell("Mopti", "m")) == "x"
    assert table.show(table.cell("Mopti", "f")) == "<5"
