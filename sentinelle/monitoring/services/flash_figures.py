"""The coded data of the incidents of a batch of alerts, read once for all their flash report drafts
(flash_content.py): the incidents' rows, categories, grave violations, explosive devices and victim cells
with their record keys (the cell key method), and the areas to name. Driven by chunks of incident ids."""

from collections import Counter, defaultdict

from django.db.models import Count, Sum

from sentinelle.geography.models import AdminArea
from sentinelle.monitoring.models import ExplosiveAccident, GraveViolation, IncidentCategory, VictimCount

ROW_FIELDS = (
    "record_key",
    "area_id",
    "date_start",
    "date_end",
    "date_reported",
    "date_estimated",
    "perpetrator_category",
    "source_mechanism",
    "reliability",
    "organisation_id",
    "displaced_households",
    "displaced_individuals",
)


class AlertFigures:
    """The coded data of the alerts' incidents, by alert and by incident: eight queries for up to 5,000
    incidents, five more for each further 5,000."""

    def __init__(self, alerts: list):
        from sentinelle.monitoring.models import Alert, Incident

        # The links first, then each table by chunks of incident ids: driven from the alerts' few hundred
        # incidents, never by a join the planner may run from the incident table's million rows.
        links = list(
            Alert.incidents.through.objects.filter(alert_id__in=[alert.pk for alert in alerts])
            .order_by()
            .values_list("alert_id", "incident_id")
        )
        chunks = id_chunks(sorted({incident_id for _alert_id, incident_id in links}))
        found: dict[int, dict] = {}
        for chunk in chunks:
            for values in (
                Incident.objects.filter(pk__in=chunk, is_archived=False)
                .order_by()
                .values_list("pk", *ROW_FIELDS)
            ):
                found[values[0]] = dict(zip(ROW_FIELDS, values[1:], strict=True))
        self.rows: dict[int, list[dict]] = defaultdict(list)
        self.ids: dict[int, list[int]] = defaultdict(list)
        for alert_id, incident_id in links:
            if incident_id in found:
                self.ids[alert_id].append(incident_id)
                self.rows[alert_id].append(found[incident_id])
        self.categories: dict[int, set[str]] = defaultdict(set)
        for chunk in chunks:
            for incident_id, category in IncidentCategory.objects.filter(incident_id__in=chunk).values_list(
                "incident_id", "category"
            ):
                self.categories[incident_id].add(category)
        self.violations = self._counts(GraveViolation, "type", chunks)
        self.violation_keys = self._keys(GraveViolation, "type", chunks)
        self.devices = self._counts(ExplosiveAccident, "device_type", chunks)
        self.victims: dict[int, list[tuple]] = defaultdict(list)
        for chunk in chunks:
            cells = (
                VictimCount.objects.filter(incident_id__in=chunk)
                .values("incident_id", "outcome", "sex", "age_group")
                .annotate(n=Sum("count"), k=Sum("record_key"))
                .order_by()
            )
            for cell in cells:
                self.victims[cell["incident_id"]].append(
                    (cell["outcome"], cell["sex"], cell["age_group"], cell["n"], cell["k"])
                )
        chains = {(alert.area.version_id, pcode) for alert in alerts for pcode in alert.area.path_pcodes}
        self.chain = {
            (a.version_id, a.pcode): a
            for a in AdminArea.objects.filter(
                version_id__in={version for version, _pcode in chains},
                pcode__in={pcode for _version, pcode in chains},
            ).only("pcode", "name_fr", "level", "version_id")
        }
        places = {row["area_id"] for rows in self.rows.values() for row in rows}
        self.places = AdminArea.objects.only("pcode", "name_fr", "level").in_bulk(places)

    @staticmethod
    def _keys(model, field: str, chunks: list[list[int]]) -> dict[int, dict]:
        """{incident: {code: sum of the rows' record keys}} (the cell key method)."""
        found: dict[int, dict] = defaultdict(dict)
        for chunk in chunks:
            rows = (
                model.objects.filter(incident_id__in=chunk)
                .values("incident_id", field)
                .annotate(k=Sum("record_key"))
                .order_by()
                .values_list("incident_id", field, "k")
            )
            for incident_id, code, key in rows:
                found[incident_id][code] = int(key or 0)
        return found

    @staticmethod
    def _counts(model, field: str, chunks: list[list[int]]) -> dict[int, Counter]:
        found: dict[int, Counter] = defaultdict(Counter)
        for chunk in chunks:
            rows = (
                model.objects.filter(incident_id__in=chunk)
                .values("incident_id", field)
                .annotate(n=Count("pk"))
                .order_by()
                .values_list("incident_id", field, "n")
            )
            for incident_id, code, n in rows:
                found[incident_id][code] += n
        return found


# Ids per query: well under SQLite's 32,766 parameters, and an index probe each on PostgreSQL.
CHUNK = 5_000


def id_chunks(ids: list, size: int | None = None) -> list[list]:
    """`ids` in slices of `size` (default CHUNK), for `__in` filters (alerts.py uses it too)."""
    size = size or CHUNK
    return [ids[start : start + size] for start in range(0, len(ids), size)]
