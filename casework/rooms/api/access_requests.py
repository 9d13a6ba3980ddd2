"""Access requests: file one from a masked analysis result; the room's lead decides."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.rooms import access_requests


class AccessRequestCreate(serializers.Serializer):
    token = serializers.CharField(max_length=2000)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class AccessRequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class GrantIn(serializers.Serializer):
    hours = serializers.IntegerField(required=False, min_value=1,
                                     max_value=access_requests.MAX_GRANT_HOURS,
                                     default=access_requests.DEFAULT_GRANT_HOURS)


class AccessRequestListView(APIView):
    """GET: my requests (the room named only once granted) and those waiting for my
    decision as a lead. POST: redeem a masked result's `access_request` token."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(access_requests.requests_for(request.user))

    @extend_schema(request=AccessRequestCreate, responses={201: AccessRequestOut,
                                                           200: AccessRequestOut})
    def post(self, request):
        data = AccessRequestCreate(data=request.data)
        data.is_valid(raise_exception=True)
        made, created = access_requests.request_access(actor=request.user,
                                                       **data.validated_data)
        return Response({"id": made.pk, "status": made.status},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AccessGrantView(APIView):
    """The room's lead grants a pending request for `hours` (default 24)."""

    @extend_schema(request=GrantIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        data = GrantIn(data=request.data)
        data.is_valid(raise_exception=True)
        decided = access_requests.decide(actor=request.user, request_id=pk, grant=True,
                                         hours=data.validated_data["hours"])
        return Response(access_requests.request_payload(decided))


class AccessRefuseView(APIView):
    """The room's lead refuses a pending request."""

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        decided = access_requests.decide(actor=request.user, request_id=pk, grant=False)
        return Response(access_requests.request_payload(decided))
