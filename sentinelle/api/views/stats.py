"""GET /api/v1/stats/ (the datasets) and GET /api/v1/stats/<dataset>/ (figures): JSON, CSV or HXL.

Analysts (Perm.STATS_EXACT) get exact figures, flagged where a reader sees something else; every other
answer goes through disclosure control (the cell key method, see api/stats.py), says so (the JSON's
`disclosure`, the X-Sentinelle-Disclosure header) and counts against the reader's daily throttle
(`StatsThrottle`, SENTINELLE["THROTTLES"]["stats.user"]) on top of the API's own per-minute one: the
method's known weakness is averaging many differently filtered answers, so their number is limited. The
schema lists every dataset's measures, dimensions and filters, generated from the registry when the
schema is generated.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from sentinelle.api import stats
from sentinelle.api.permissions import DeclaredAccess
from sentinelle.api.throttles import TooManyRequests
from sentinelle.core import datasets
from sentinelle.core.datasets import DatasetError
from sentinelle.core.db_routing import analysis_view
from sentinelle.core.disclosure import STATS_THROTTLE, disclosure_header
from sentinelle.core.permissions import Perm, has_perm
from sentinelle.core.throttles import TooManyAttempts, throttle_take


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"
    hxl = False

    def render(self, data, accepted_media_type=None, renderer_context=None):
        answer = (renderer_context or {}).get("stats_answer")
        if answer is None:  # not a table (should not happen: errors are answered in JSON)
            return b""
        # A byte-order mark so that Excel opens the accents right.
        return ("\ufeff" + answer.as_csv(hxl=self.hxl)).encode("utf-8")


class HXLRenderer(CSVRenderer):
    format = "hxl"
    hxl = True


class StatsSchema(AutoSchema):
    """Describes the dataset endpoint from the registry (read when the schema is generated)."""

    def get_description(self):
        lines = [
            _("Aggregated figures of a dataset, grouped by its dimensions, with disclosure control."),
            "",
            "| dataset | measures | dimensions | filters |",
            "|---|---|---|---|",
        ]
        for dataset in datasets.all_datasets():
            lines.append(
                f"| `{dataset.name}` | {', '.join(dataset.measures)} | "
                f"{', '.join(dataset.all_dimensions())} | {', '.join(sorted(dataset.filters)) or '-'} |"
            )
        return "\n".join(lines)

    def get_override_parameters(self):
        everything = datasets.all_datasets()
        dimensions = sorted({name for d in everything for name in d.all_dimensions()})
        measures = sorted({name for d in everything for name in d.measures})
        params = [
            OpenApiParameter(
                "dataset",
                str,
                OpenApiParameter.PATH,
                enum=[d.name for d in everything],
                description=_("Dataset"),
            ),
            OpenApiParameter(
                "group_by",
                str,
                description=_(
                    "Dimensions, comma-separated (at most 2 without exact access). One of: %(names)s"
                )
                % {"names": ", ".join(dimensions)},
            ),
            OpenApiParameter(
                "measure",
                str,
                description=_("Measures, comma-separated. One of: %(names)s")
                % {"names": ", ".join(measures)},
            ),
            OpenApiParameter("date_from", OpenApiTypes.DATE, description=_("From (YYYY-MM-DD)")),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description=_("To (YYYY-MM-DD)")),
            OpenApiParameter(
                "area", str, many=True, description=_("Area P-code (repeatable): this area and below")
            ),
            OpenApiParameter(
                "organisation", str, many=True, description=_("Organisation acronym (repeatable)")
            ),
            OpenApiParameter("format", str, enum=["json", "csv", "hxl"], description=_("Answer format")),
        ]
        filters: dict[str, list[str]] = {}
        for dataset in everything:
            for name in dataset.filters:
                filters.setdefault(name, []).append(dataset.name)
        for name, names in sorted(filters.items()):
            if name in stats.RESERVED:
                continue
            codes = _codes(name, everything)
            text = _("Codes, comma-separated. Datasets: %(names)s.") % {"names": ", ".join(names)}
            if codes:
                text += " " + _("Codes: %(codes)s") % {"codes": ", ".join(codes)}
            params.append(OpenApiParameter(name, str, description=text))
        return params


def _codes(name: str, everything) -> list[str]:
    codes: list[str] = []
    for dataset in everything:
        dimension = dataset.all_dimensions().get(name)
        if dimension is not None and dimension.choices:
            codes += [str(code) for code in dimension.choices if str(code) not in codes]
    return codes


class StatsThrottle(BaseThrottle):
    """A reader's figures per day (the statistics API, dashboard pages and downloads share the bucket);
    analysts, who see exact figures, are not counted. Refusals answer 429 with Retry-After, audited."""

    def allow_request(self, request, view) -> bool:
        user = request.user
        if user is None or not user.is_authenticated or has_perm(user, Perm.STATS_EXACT):
            return True
        try:
            throttle_take(
                [(STATS_THROTTLE, str(user.pk))], request=request._request, user=user, channel="stats"
            )
        except TooManyAttempts as refusal:
            raise TooManyRequests(refusal) from None
        return True


class StatsCatalogueView(DeclaredAccess, APIView):
    """The datasets with their measures, dimensions (and codes) and filters."""

    api_description = gettext_lazy("The datasets with their measures, dimensions (and codes) and filters.")

    required_perm = Perm.STATS_VIEW

    @extend_schema(operation_id="stats_datasets", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        entries = stats.catalogue()
        for entry in entries:
            entry["url"] = request.build_absolute_uri(f"{request.path}{entry['name']}/")
        return Response(
            {
                "exact": has_perm(request.user, Perm.STATS_EXACT),
                "threshold": stats.threshold_setting(),
                "datasets": entries,
            }
        )


class StatsDatasetView(DeclaredAccess, APIView):
    required_perm = Perm.STATS_VIEW
    renderer_classes = [JSONRenderer, CSVRenderer, HXLRenderer]
    schema = StatsSchema()

    def get_throttles(self):
        return [*super().get_throttles(), StatsThrottle()]

    @extend_schema(
        operation_id="stats_dataset", responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT}
    )
    @analysis_view
    def get(self, request, dataset):
        exact = has_perm(request.user, Perm.STATS_EXACT)
        try:
            query = stats.parse_query(dataset, request.query_params, exact=exact)
            answer = stats.answer(query)
        except DatasetError as error:
            return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        response = Response(answer.as_json())
        if query.dataset.perturbed:
            # CSV and HXL have no room for the JSON's `disclosure`: the header says it for every format.
            response["X-Sentinelle-Disclosure"] = disclosure_header(answer.threshold, exact=query.exact)
        if query.gbv_withheld:
            # CSV and HXL have no room for the JSON's notes: the header says it for every format.
            response["X-Sentinelle-GBV-Withheld"] = "true"
        fmt = request.accepted_renderer.format
        if fmt in ("csv", "hxl"):
            filename = f"sentinelle-{query.dataset.name}{'-hxl' if fmt == 'hxl' else ''}.csv"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.stats_answer = answer
        return response

    def get_renderer_context(self):
        context = super().get_renderer_context()
        response = getattr(self, "_stats_response", None)
        if response is not None:
            context["stats_answer"] = getattr(response, "stats_answer", None)
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors (400, 401, 403) are answered in JSON whatever the format asked.
        if response.status_code >= 400 or not hasattr(response, "stats_answer"):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        self._stats_response = response
        return super().finalize_response(request, response, *args, **kwargs)
