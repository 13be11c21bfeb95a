"""Record keys for the cell key method (core/disclosure.py): a secret random number on every record that
published counts are made of.

Each counted record carries a key drawn at random by the database when the row is inserted, whatever the
path (a form, an import's COPY, an OpenRosa submission, the bench generator's SQL): the column's default is
the database's own random function, so no code path can forget it. A published cell's perturbation is
derived from the sum of its records' keys, so the same records always get the same noise, and a table
minus another gives noise, not a hidden count. The keys are never shown nor exported (serializers and
exports list their fields explicitly), are not derivable from any identifier, and survive backup and
restore with the rows.
"""

from django.db import models
from django.db.models import Func
from django.utils.translation import gettext_lazy as _

# Keys are integers in [0, KEY_RANGE). A cell's key is the sum of its records' keys modulo KEY_RANGE.
KEY_RANGE = 4096


class RandomRecordKey(Func):
    """A random integer in [0, KEY_RANGE), drawn by the database for each new row."""

    arity = 0
    output_field = models.PositiveIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return f"CAST(FLOOR(RANDOM() * {KEY_RANGE}) AS INTEGER)", []

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite's random() is a signed 64-bit integer.
        return f"(ABS(RANDOM()) %% {KEY_RANGE})", []  # %% : the SQL is %-formatted with its params


def record_key_field() -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        _("record key"),
        db_default=RandomRecordKey(),
        editable=False,
        help_text="Secret random key of the cell key method; never shown nor exported.",
    )
