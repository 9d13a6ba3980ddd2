"""Case-room API: translate HTTP to service calls and back, nothing more."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from casework.rooms import selectors, services
from casework.rooms.access import get_case_for_user
from casework.rooms.api.serializers import (
    CaseSerializer,
    CaseUpdateSerializer,
    MembershipChangeSerializer,
    MembershipSerializer,
    MessageSerializer,
    TimelineEntrySerializer,
)
from casework.rooms.choices import CaseStatus


@extend_schema(parameters=[
    OpenApiParameter("search", str, description="Matches case number and title"),
    OpenApiParameter("status", str, enum=CaseStatus.values),
])
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Cases the user may open. Create: investigators and leadership (creator = lead)."""

    serializer_class = CaseSerializer
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        params = self.request.query_params
        status_filter = params.get("status", "")
        if status_filter and status_filter not in CaseStatus.values:
            raise ValidationError({"status": [f"one of {', '.join(CaseStatus.values)}"]})
        return selectors.cases_for_list(self.request.user, search=params.get("search", ""),
                                        status=status_filter)

    def get_object(self):
        return get_case_for_user(self.request.user, self.kwargs["pk"])

    def get_serializer_class(self):
        if self.action == "partial_update":
            return CaseUpdateSerializer
        return CaseSerializer

    def perform_create(self, serializer):
        serializer.instance = services.create_case(actor=self.request.user,
                                                   **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_case(
            actor=self.request.user, case_id=serializer.instance.pk,
            changes=dict(serializer.validated_data))

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        case = services.close_case(actor=request.user, case_id=pk)
        return Response(CaseSerializer(case).data)

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        case = services.reopen_case(actor=request.user, case_id=pk)
        return Response(CaseSerializer(case).data)


class MemberViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """A room's members; the lead adds, changes and removes them."""

    serializer_class = MembershipSerializer
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        return selectors.room_members(self.request.user, self.kwargs["case_pk"])

    def create(self, request, case_pk=None):
        serializer = MembershipSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        membership = services.add_member(actor=request.user, case_id=case_pk,
                                         user_id=data["user"].pk, role=data["role"],
                                         can_dispatch=data.get("can_dispatch", False))
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipChangeSerializer, responses=MembershipSerializer)
    def partial_update(self, request, case_pk=None, pk=None):
        serializer = MembershipChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = services.change_member(actor=request.user, case_id=case_pk,
                                            membership_id=_int(pk), **serializer.validated_data)
        return Response(MembershipSerializer(membership).data)

    def destroy(self, request, case_pk=None, pk=None):
        services.remove_member(actor=request.user, case_id=case_pk, membership_id=_int(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@extend_schema(parameters=[OpenApiParameter("after", int, description="Only ids above this")])
class MessageViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """A room's consultation messages in ascending id."""

    serializer_class = MessageSerializer
    filter_backends: list = []

    def get_queryset(self):
        after = self.request.query_params.get("after")
        if after is not None:
            try:
                after = int(after)
            except ValueError:
                raise ValidationError({"after": ["must be an integer message id"]}) from None
        return selectors.room_messages(self.request.user, self.kwargs["case_pk"], after=after)

    def create(self, request, case_pk=None):
        serializer = MessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = services.post_message(actor=request.user, case_id=case_pk,
                                        text=serializer.validated_data["text"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class TimelineView(ListAPIView):
    """The room's significant events in order."""

    serializer_class = TimelineEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.room_timeline(self.request.user, self.kwargs["case_pk"])
