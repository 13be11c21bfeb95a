"""Writes of population movement: figures (one, or a whole import), displacement events, return
intentions, people in need.

Each service checks the policy first: Perm.POPULATION_MANAGE for the organisation and area (reporting
organisation within its areas; the IMO and administrators everywhere). A refusal is audited, raises
PermissionDenied and writes nothing. Then it validates (ValidationError keyed by argument name, or
"<index>.<field>" for imports), writes in one transaction and appends one audit entry, with counts and
codes only. Recording displacement events announces them (core.hooks) so that monitoring's alert rules
see them once the transaction has committed.
"""

from sentinelle.displacement.services._common import (
    FigureLine,
    ImportResult,
    IntentionLine,
    NeedLine,
    figure_check,
)
from sentinelle.displacement.services.figures import (
    figure_record,
    figure_update,
    figures_import,
)
from sentinelle.displacement.services.records import (
    event_check,
    event_record,
    need_check,
    people_in_need_import,
    people_in_need_record,
    return_intention_check,
    return_intention_record,
)

__all__ = [
    "FigureLine",
    "ImportResult",
    "IntentionLine",
    "NeedLine",
    "event_check",
    "event_record",
    "figure_check",
    "figure_record",
    "figure_update",
    "figures_import",
    "need_check",
    "people_in_need_import",
    "people_in_need_record",
    "return_intention_check",
    "return_intention_record",
]
