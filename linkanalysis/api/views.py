"""Link-analysis API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from linkanalysis import services


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


class RoomNetworkView(APIView):
    """The room's network: its entities and links, each link with its evidence."""

    @extend_schema(responses=RoomNetworkResponse)
    def get(self, request, case_pk):
        return Response(services.room_network_for(user=request.user, case_id=case_pk))
