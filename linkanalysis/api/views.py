"""Link-analysis API."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from casework.core.api import JSONErrorsMixin
from linkanalysis import services
from linkanalysis.api.renderers import GraphMLRenderer


class _EntityRef(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    key = serializers.CharField()
    label = serializers.CharField()


class _KeyPlayer(serializers.Serializer):
    entity = _EntityRef()
    degree = serializers.IntegerField()
    betweenness = serializers.FloatField()
    pagerank = serializers.FloatField()


class _Disruption(serializers.Serializer):
    entity = _EntityRef()
    largest_group_fraction = serializers.FloatField()


class KeyPlayersResponse(serializers.Serializer):
    results = _KeyPlayer(many=True)
    disruption = _Disruption(many=True)


class KeyPlayersView(APIView):
    """Degree, exact betweenness and PageRank over the room's network, and the capture
    priority by sequential disruption."""

    @extend_schema(responses=KeyPlayersResponse)
    def get(self, request, case_pk):
        return Response(services.key_players_for(user=request.user, case_id=case_pk))


class _Node(_EntityRef):
    role = serializers.CharField(allow_blank=True)


class _EvidenceRef(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    description = serializers.CharField()


class _Edge(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    source = serializers.IntegerField()
    target = serializers.IntegerField()
    count = serializers.IntegerField()
    first_seen = serializers.DateTimeField(allow_null=True)
    last_seen = serializers.DateTimeField(allow_null=True)
    evidence = _EvidenceRef()


class RoomNetworkResponse(serializers.Serializer):
    nodes = _Node(many=True)
    edges = _Edge(many=True)


class RoomNetworkView(JSONErrorsMixin, APIView):
    """The room's network: its entities and links, each link with its evidence.
    `?format=graphml` downloads it as GraphML."""

    renderer_classes = [*api_settings.DEFAULT_RENDERER_CLASSES, GraphMLRenderer]

    @extend_schema(responses={(200, "application/json"): RoomNetworkResponse,
                              (200, "application/graphml+xml"): OpenApiTypes.STR},
                   parameters=[OpenApiParameter("format", str, enum=["json", "graphml"])])
    def get(self, request, case_pk):
        return Response(services.room_network_for(user=request.user, case_id=case_pk))


def _int(params, name: str, default: int) -> int:
    value = params.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValidationError({name: ["an integer"]}) from None


def _time(params, name: str):
    value = params.get(name, "")
    if not value:
        return None
    moment = parse_datetime(value) or (parse_date(value) and datetime.combine(
        parse_date(value), datetime.min.time()))
    if moment is None:
        raise ValidationError({name: ["an ISO 8601 date or date-time"]})
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _required(params, name: str) -> int:
    if not params.get(name):
        raise ValidationError({name: ["required"]})
    return _int(params, name, 0)


class ExpandView(APIView):
    """1 to 3 hops from an entity, filtered by link types and a time window, at most
    `limit` links, within a server-side time budget (`truncated` when cut short). Links
    of rooms the user may not open are not followed: `masked` says where they are."""

    @extend_schema(parameters=[
        OpenApiParameter("entity", int, required=True),
        OpenApiParameter("depth", int, description="1, 2 or 3 (default 1)"),
        OpenApiParameter("types", str, description="comma-separated link types"),
        OpenApiParameter("since", str), OpenApiParameter("until", str),
        OpenApiParameter("limit", int, description="1–1000 links (default 200)"),
    ], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        params = request.query_params
        types = [t.strip().upper() for t in params.get("types", "").split(",") if t.strip()]
        return Response(services.expand_for(
            user=request.user, entity_id=_required(params, "entity"),
            depth=_int(params, "depth", 1), types=types or None,
            since=_time(params, "since"), until=_time(params, "until"),
            limit=_int(params, "limit", 200)))


class PathsView(APIView):
    """Shortest and all shortest paths (up to `max_depth` ≤ 6 links) between two
    entities, link by link with the evidence; links of closed rooms masked."""

    @extend_schema(parameters=[
        OpenApiParameter("source", int, required=True),
        OpenApiParameter("target", int, required=True),
        OpenApiParameter("max_depth", int, description="1–6 (default 6)"),
    ], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        params = request.query_params
        return Response(services.paths_for(
            user=request.user, source=_required(params, "source"),
            target=_required(params, "target"), max_depth=_int(params, "max_depth", 6)))


class _SeriesItem(serializers.Serializer):
    case = serializers.DictField(allow_null=True)
    masked = serializers.BooleanField()
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())
    access_request = serializers.CharField(required=False)


class SeriesResponse(serializers.Serializer):
    results = _SeriesItem(many=True)
    truncated = serializers.BooleanField()
    hubs_ignored = serializers.ListField(child=serializers.DictField())


class SeriesView(APIView):
    """Other cases sharing persons, phones, vehicles or accounts with this one, directly or
    within two hops, best first, each with its reasons; masked when closed to the user."""

    @extend_schema(responses=SeriesResponse)
    def get(self, request, case_pk):
        return Response(services.series_for(user=request.user, case_id=case_pk))


class GroupsView(APIView):
    """Gangs: Louvain groups over the room's network and its open series cases."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, case_pk):
        return Response(services.groups_for(user=request.user, case_id=case_pk))


class DeepDigView(APIView):
    """Deep digging (深挖扩线): the most frequent contacts of the case's suspects (or of
    `from`, comma-separated entity ids of the room) not yet in the case."""

    @extend_schema(parameters=[OpenApiParameter("from", str)],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request, case_pk):
        raw = request.query_params.get("from", "")
        try:
            sources = [int(x) for x in raw.split(",") if x.strip()]
        except ValueError:
            raise ValidationError({"from": ["comma-separated entity ids"]}) from None
        return Response(services.deep_dig_for(user=request.user, case_id=case_pk,
                                              sources=sources or None))
