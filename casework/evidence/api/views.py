"""Evidence API: translate HTTP to the evidence services and back."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.evidence import services
from casework.evidence.api.serializers import (
    CustodyEntrySerializer,
    CustodyTransferSerializer,
    EvidenceCorrectSerializer,
    EvidenceCreateSerializer,
    EvidenceSerializer,
    VerifyResultSerializer,
    WithdrawSerializer,
)
from casework.evidence.models import CustodyEntry, EvidenceItem
from casework.rooms.access import get_case_for_user


def _fields(data: dict) -> dict:
    out = dict(data)
    out["upload"] = out.pop("file", None)
    return out


class EvidenceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A room's evidence. Files are checked against their content and hashed at upload,
    and re-hashed on every download."""

    serializer_class = EvidenceSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filter_backends: list = []

    def get_queryset(self):
        case = get_case_for_user(self.request.user, self.kwargs["case_pk"])
        return (EvidenceItem.objects.filter(case=case)
                .select_related("collected_by", "source_unit").order_by("-id"))

    @extend_schema(request={"multipart/form-data": EvidenceCreateSerializer},
                   responses={201: EvidenceSerializer})
    def create(self, request, case_pk=None):
        serializer = EvidenceCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.add_evidence(actor=request.user, case_id=case_pk,
                                     **_fields(serializer.validated_data))
        return Response(EvidenceSerializer(item).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, case_pk=None, pk=None):
        item = services.view_evidence(actor=request.user, case_id=case_pk, evidence_id=pk)
        return Response(EvidenceSerializer(item).data)

    # the file as it was uploaded, under the media type recorded for it (image/jpeg,
    # audio/mp4, …; application/octet-stream when none was known)
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request, case_pk=None, pk=None):
        item, handle = services.open_evidence_file(actor=request.user, case_id=case_pk,
                                                   evidence_id=pk)
        response = FileResponse(handle, as_attachment=True,
                                filename=item.original_name or f"evidence-{item.pk}",
                                content_type=item.content_type or "application/octet-stream")
        response["X-Content-SHA256"] = item.sha256
        return response

    @extend_schema(request=WithdrawSerializer, responses=EvidenceSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, case_pk=None, pk=None):
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.withdraw_evidence(actor=request.user, case_id=case_pk, evidence_id=pk,
                                          reason=serializer.validated_data["reason"])
        return Response(EvidenceSerializer(item).data)

    @extend_schema(request={"multipart/form-data": EvidenceCorrectSerializer},
                   responses={201: EvidenceSerializer})
    @action(detail=True, methods=["post"])
    def correct(self, request, case_pk=None, pk=None):
        serializer = EvidenceCorrectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.correct_evidence(actor=request.user, case_id=case_pk, evidence_id=pk,
                                         **_fields(serializer.validated_data))
        return Response(EvidenceSerializer(item).data, status=status.HTTP_201_CREATED)


class CustodyView(APIView):
    """An item's custody log (GET) and a hand-over (POST)."""

    @extend_schema(responses=CustodyEntrySerializer(many=True))
    def get(self, request, case_pk, pk):
        item = services.view_evidence(actor=request.user, case_id=case_pk, evidence_id=pk)
        entries = CustodyEntry.objects.filter(evidence=item).select_related("actor")
        return Response(CustodyEntrySerializer(entries.order_by("seq"), many=True).data)

    @extend_schema(request=CustodyTransferSerializer, responses={201: CustodyEntrySerializer})
    def post(self, request, case_pk, pk):
        serializer = CustodyTransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.transfer_custody(actor=request.user, case_id=case_pk, evidence_id=pk,
                                          **serializer.validated_data)
        return Response(CustodyEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class VerifyCustodyView(APIView):
    """Verify every custody chain and file hash in the room."""

    @extend_schema(responses=VerifyResultSerializer)
    def get(self, request, case_pk):
        reports = services.verify_room_custody(actor=request.user, case_id=case_pk)
        return Response({"ok": all(r["ok"] for r in reports), "items": reports})
