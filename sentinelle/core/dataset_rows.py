"""The rows a dataset query gives (core/datasets.py): sums as plain numbers, cell keys, the dataset's names
for the grouped columns, areas rolled up to the level asked. The same shaping for the records and for the
roll-up tables, so that both give the same rows, cell keys included."""

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType

from django.db.models import BigIntegerField, ExpressionWrapper, F, Q, QuerySet, Sum

from sentinelle.core.dataset_types import AREA_LEVELS, Dataset
from sentinelle.core.disclosure import CELL_KEY, add_keys
from sentinelle.core.record_keys import KEY_RANGE


def plain_numbers(row: dict, nulls: Mapping = MappingProxyType({})) -> dict:
    """Sums of whole numbers as int (PostgreSQL sums bigints as numeric), stored NULLs as None."""
    out = {}
    for name, value in row.items():
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        elif name in nulls and value == nulls[name]:
            value = None
        out[name] = value
    return out


def cell_key_expression():
    """The cell key of a group, in SQL: the sum of its distinct base rows' (pk * KEY_RANGE + record_key).

    Distinct per base row, so that a join that repeats a row (an incident's categories, an activity's
    beneficiaries) does not count its key twice; pk * KEY_RANGE is a multiple of KEY_RANGE, so the sum
    modulo KEY_RANGE is the sum of the record keys."""
    value = ExpressionWrapper(F("pk") * KEY_RANGE + F("record_key"), output_field=BigIntegerField())
    return Sum(value, distinct=True)


def cell_key_of(raw) -> int:
    return int(raw or 0) % KEY_RANGE


def keyed(out: dict, row: dict, dataset: Dataset) -> dict:
    if dataset.perturbed:
        out[CELL_KEY] = cell_key_of(row.get(CELL_KEY))
    return out


def renamed(row: dict, group_by, dims, measures, dataset: Dataset) -> dict:
    out = {dim: row[dims[dim].field] for dim in group_by}
    out.update({measure: row[measure] or 0 for measure in measures})
    return keyed(out, row, dataset)


def areas_rolled_up(raw: list[dict], group_by, dims, measures, area_key: str, dataset: Dataset) -> list[dict]:
    from django.apps import apps

    AdminArea = apps.get_model("geography", "AdminArea")
    area_ids = {row[area_key] for row in raw if row[area_key] is not None}
    paths = dict(AdminArea.objects.filter(pk__in=area_ids).values_list("pk", "path"))
    fields = [*measures, CELL_KEY] if dataset.perturbed else list(measures)
    totals: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(fields, 0))
    for row in raw:
        path_codes = [code for code in paths.get(row[area_key], "").split("/") if code]
        key = []
        for dim in group_by:
            if dim in AREA_LEVELS:
                level = AREA_LEVELS[dim]
                key.append(path_codes[level] if len(path_codes) > level else None)
            else:
                key.append(row[dims[dim].field])
        cell = totals[tuple(key)]
        for measure in measures:
            cell[measure] += row[measure] or 0
        if dataset.perturbed:
            cell[CELL_KEY] = add_keys(cell[CELL_KEY], cell_key_of(row[CELL_KEY]))
    return [dict(zip(group_by, key, strict=True)) | values for key, values in totals.items()]


def code_filter(path: str, value) -> Q:
    """A dataset filter on one column (`path`): several codes with `__in`, one code with equality."""
    if isinstance(value, list | tuple | set | frozenset):
        return Q(**{f"{path}__in": list(value)})
    return Q(**{path: value})


def grouped_rows(
    queryset: QuerySet,
    expressions: dict,
    *,
    dataset: Dataset,
    measures,
    group_by,
    dims: Mapping,
    area_column: str,
    nulls: Mapping | None = None,
) -> list[dict]:
    """The query's rows: `expressions` over `queryset` grouped by the columns of `group_by` (`dims` names
    them; the area dimensions read `area_column` and are rolled up here), in the dataset's names.
    `nulls`: the sums come from a roll-up table (plain numbers, its stored NULLs read back as None)."""
    shape = (lambda row: row) if nulls is None else (lambda row: plain_numbers(row, nulls))
    area_dims = [dim for dim in group_by if dim in AREA_LEVELS]
    sql_fields = [dims[dim].field for dim in group_by if dim not in AREA_LEVELS]
    if area_dims:
        sql_fields.append(area_column)
    if not sql_fields:
        row = shape(queryset.aggregate(**expressions))
        return [keyed({measure: row[measure] or 0 for measure in measures}, row, dataset)]
    raw = [shape(row) for row in queryset.order_by().values(*sql_fields).annotate(**expressions)]
    if not area_dims:
        return [renamed(row, group_by, dims, measures, dataset) for row in raw]
    return areas_rolled_up(raw, group_by, dims, measures, area_column, dataset)
