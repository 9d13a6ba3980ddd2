"""Entities, links, imports and the cross-room search: HTTP in, services out."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.entities import imports, selectors, services
from casework.entities.api.serializers import (
    CaseEntitySerializer,
    EntityCreateSerializer,
    ImportCreateSerializer,
    ImportErrorsSerializer,
    ImportJobSerializer,
    LinkCreateSerializer,
    LinkSerializer,
    MergeCreateSerializer,
    MergeSerializer,
    SearchResponseSerializer,
)
from casework.entities.choices import ImportStatus
from casework.entities.csv_import import ImportRefused


@extend_schema(parameters=[OpenApiParameter("search", str, description="key or label")])
class EntityListView(generics.ListAPIView):
    """The room's entities; POST records one by hand."""

    serializer_class = CaseEntitySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.room_entities(self.request.user, self.kwargs["case_pk"],
                                       search=self.request.query_params.get("search", ""))

    @extend_schema(request=EntityCreateSerializer, responses={201: CaseEntitySerializer})
    def post(self, request, case_pk):
        serializer = EntityCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ce = services.add_entity(actor=request.user, case_id=case_pk,
                                 evidence_id=data.pop("evidence", None), **data)
        return Response(CaseEntitySerializer(ce).data, status=status.HTTP_201_CREATED)


class LinkListView(generics.ListAPIView):
    """The room's links (its network); POST records one by hand, with its evidence."""

    serializer_class = LinkSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.room_links(self.request.user, self.kwargs["case_pk"])

    @extend_schema(request=LinkCreateSerializer, responses={201: LinkSerializer})
    def post(self, request, case_pk):
        serializer = LinkCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        link = services.add_link(actor=request.user, case_id=case_pk,
                                 evidence_id=data.pop("evidence"), **data)
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class ImportCreateView(APIView):
    """Import call records or plate sightings (CSV). ≤ 1 MB: done in the request (201) or
    refused with per-row errors (400, nothing written). Larger: 202, poll `status_url`."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": ImportCreateSerializer},
                   responses={201: ImportJobSerializer, 202: ImportJobSerializer,
                              400: ImportErrorsSerializer})
    def post(self, request, case_pk):
        serializer = ImportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            job = imports.start_import(actor=request.user, case_id=case_pk,
                                       kind=serializer.validated_data["kind"],
                                       upload=serializer.validated_data["file"])
        except ImportRefused as refused:
            return Response({"errors": [e.as_dict() for e in refused.errors]},
                            status=status.HTTP_400_BAD_REQUEST)
        done = job.status == ImportStatus.SUCCEEDED
        return Response(ImportJobSerializer(job).data,
                        status=status.HTTP_201_CREATED if done else status.HTTP_202_ACCEPTED)


class ImportStatusView(generics.RetrieveAPIView):
    """An import's status: pending, running (with rows_done of rows_total), succeeded
    (with counts) or failed (with errors; nothing was written)."""

    serializer_class = ImportJobSerializer

    def get_object(self):
        return selectors.import_job(self.request.user, self.kwargs["pk"])


class SearchView(APIView):
    """Find a phone, plate or ID number across rooms: rooms you may open by name, others
    only as a count."""

    @extend_schema(parameters=[OpenApiParameter("q", str, required=True)],
                   responses=SearchResponseSerializer)
    def get(self, request):
        query = request.query_params.get("q", "")
        if not query.strip():
            return Response({"q": ["give a phone number, plate or ID number"]},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response({"results": selectors.search(request.user, query)})


class MergeView(APIView):
    """Record that two of the room's entities are one; nothing of either is rewritten."""

    @extend_schema(request=MergeCreateSerializer, responses={201: MergeSerializer})
    def post(self, request, case_pk):
        serializer = MergeCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.merge_entities(actor=request.user, case_id=case_pk,
                                         **serializer.validated_data)
        return Response(MergeSerializer(record).data, status=status.HTTP_201_CREATED)


class UndoMergeView(APIView):
    """Separate merged entities again."""

    @extend_schema(request=None, responses=MergeSerializer)
    def post(self, request, case_pk, pk):
        record = services.undo_merge(actor=request.user, case_id=case_pk, merge_id=pk)
        return Response(MergeSerializer(record).data)
