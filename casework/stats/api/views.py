"""Statistics API (DESIGN.md): translate the query string into a scope and filters, ask
casework.stats.figures, answer JSON or, with `?format=csv`, CSV."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from casework.accounts.models import Unit
from casework.core.api import JSONErrorsMixin
from casework.rooms.choices import Category
from casework.stats import figures
from casework.stats.api.renderers import CSVRenderer
from casework.stats.scope import Filters, readable_case, scope_for

UNIT_SORTS = ("received", "captured", "capture_rate", "median_capture_s", "p90_capture_s",
              "ack_within_deadline_rate", "median_ack_s", "declined")


class FiltersIn(serializers.Serializer):
    # `from` is a Python keyword: declared through the class namespace
    locals()["from"] = serializers.DateField(required=False)
    to = serializers.DateField(required=False)
    unit = serializers.IntegerField(required=False, min_value=1)
    category = serializers.ChoiceField(choices=Category.choices, required=False)

    def validate_unit(self, value):
        try:
            return Unit.objects.get(pk=value)
        except Unit.DoesNotExist:
            raise serializers.ValidationError("No such unit.") from None

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["`to` is before `from`."]})
        return attrs


FILTER_PARAMS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="first day (Asia/Shanghai)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="last day, inclusive"),
    OpenApiParameter("unit", int, description="a unit, with every unit below it"),
    OpenApiParameter("category", str, enum=Category.values),
    OpenApiParameter("format", str, enum=["json", "csv"]),
]


def _filters(request, extra: type[serializers.Serializer] | None = None):
    cls = FiltersIn if extra is None else extra
    data = cls(data=request.query_params)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    return Filters(start=v.get("from"), end=v.get("to"), unit=v.get("unit"),
                   category=v.get("category", "")), v


class StatsView(JSONErrorsMixin, APIView):
    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, CSVRenderer]
    csv_name = "statistics"


class SummaryView(StatsView):
    csv_name = "summary"

    @extend_schema(parameters=FILTER_PARAMS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        filters, _ = _filters(request)
        return Response(figures.summary(scope_for(request.user), filters))


class UnitsIn(FiltersIn):
    ordering = serializers.ChoiceField(
        choices=[*UNIT_SORTS, *[f"-{s}" for s in UNIT_SORTS]], required=False)


class UnitsView(StatsView):
    csv_name = "units"

    @extend_schema(parameters=[*FILTER_PARAMS, OpenApiParameter("ordering", str)],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        filters, v = _filters(request, UnitsIn)
        return Response({"results": figures.units(scope_for(request.user), filters,
                                                  ordering=v.get("ordering", ""))})


class TrendIn(FiltersIn):
    bucket = serializers.ChoiceField(choices=["day", "month"], required=False, default="day")


class TrendView(StatsView):
    csv_name = "trend"

    @extend_schema(parameters=[*FILTER_PARAMS, OpenApiParameter("bucket", str,
                                                                enum=["day", "month"])],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        filters, v = _filters(request, TrendIn)
        return Response({"results": figures.trend(scope_for(request.user), filters,
                                                  bucket=v["bucket"])})


class BreakdownIn(FiltersIn):
    by = serializers.ChoiceField(choices=["county", "category"], required=False,
                                 default="county")


class BreakdownView(StatsView):
    """Case figures per county bureau or per category (the per-county comparison)."""

    csv_name = "breakdown"

    @extend_schema(parameters=[*FILTER_PARAMS, OpenApiParameter(
        "by", str, enum=["county", "category"])], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        filters, v = _filters(request, BreakdownIn)
        return Response({"results": figures.breakdown(scope_for(request.user), filters,
                                                      by=v["by"])})


class CasesIn(FiltersIn):
    which = serializers.ChoiceField(choices=["with_arrests", "without_arrests", "open",
                                             "assigned", "captured"],
                                    required=False, default="")
    assigned_unit = serializers.IntegerField(required=False, min_value=1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000,
                                     default=200)

    def validate_assigned_unit(self, value):
        return self.validate_unit(value)


class CasesView(StatsView):
    """The cases behind a figure (drill-down), within what the user may read."""

    csv_name = "cases"

    @extend_schema(parameters=[*FILTER_PARAMS, OpenApiParameter("which", str),
                               OpenApiParameter("assigned_unit", int),
                               OpenApiParameter("limit", int)],
                   responses={200: OpenApiTypes.OBJECT}, operation_id="stats_cases_list")
    def get(self, request):
        filters, v = _filters(request, CasesIn)
        count, rows = figures.case_rows(scope_for(request.user), filters, which=v["which"],
                                        assigned_unit=v.get("assigned_unit"),
                                        limit=v["limit"])
        return Response({"count": count, "results": rows})


class CaseView(StatsView):
    csv_name = "case"

    @extend_schema(parameters=[OpenApiParameter("format", str, enum=["json", "csv"])],
                   responses={200: OpenApiTypes.OBJECT}, operation_id="stats_case_retrieve")
    def get(self, request, case_pk):
        return Response(figures.case_detail(readable_case(request.user, case_pk)))


class OpenCasesView(StatsView):
    """Open cases with their four-colour status, most urgent first."""

    csv_name = "open-cases"

    @extend_schema(parameters=FILTER_PARAMS, responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        filters, _ = _filters(request)
        return Response({"results": figures.open_cases(scope_for(request.user), filters)})


class MapView(StatsView):
    renderer_classes = api_settings.DEFAULT_RENDERER_CLASSES

    @extend_schema(parameters=FILTER_PARAMS[:4], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        filters, _ = _filters(request)
        return Response(figures.map_points(scope_for(request.user), filters))
