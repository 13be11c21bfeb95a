"""What every roll-up table shares (core/rollups.py): the cell key sum, the unique cell, the untied keys.

Each app declares its tables in `<app>/models/rollups.py` on `RollupTable`; which columns make a cell is
the app's (monitoring keeps its area keys tied to the areas, cases and activities use `untied_fk`).
"""

from django.db import models


def cell_unique(*fields: str, name: str) -> list[models.UniqueConstraint]:
    """The constraint that makes the cell columns one row (the upserts' ON CONFLICT target)."""
    return [models.UniqueConstraint(fields=list(fields), name=name)]


def untied_fk(model: str, **options) -> models.ForeignKey:
    """A key without a database constraint: the tables follow the records, they never hold them back."""
    return models.ForeignKey(
        model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **options
    )


class RollupTable(models.Model):
    # The cell's record keys summed modulo KEY_RANGE (the cell key method, core/record_keys.py).
    key_sum = models.BigIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{type(self).__name__} {self.pk}"
