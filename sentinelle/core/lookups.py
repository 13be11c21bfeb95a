"""`field__in_ids=[...]`: membership in a long list of integer ids, bound as ONE parameter on PostgreSQL.

`__in` binds one parameter per id: for the thousands of ids of an import, the statement's text and the
driver's placeholder scan grow with the list (psycopg spent 1.4 s splitting the roll-up statements of a
10,000-row import, more than PostgreSQL took to run them). `= ANY(%s)` with an array takes one parameter
whatever the length, and PostgreSQL plans it as the same index scan. Other databases keep `IN (...)`
(callers stay below SQLite's 32,766 bound parameters, as they did).
"""

from django.db.models import ForeignKey, IntegerField
from django.db.models.lookups import In


class InIds(In):
    lookup_name = "in_ids"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = sorted({int(value) for value in self.rhs if value is not None})
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, ids)


def register() -> None:
    IntegerField.register_lookup(InIds)  # AutoField and BigAutoField are IntegerFields
    ForeignKey.register_lookup(InIds)
