from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.accounts.models import Unit
from casework.core.times import plausible_time
from casework.evidence.choices import EvidenceKind
from casework.evidence.models import CustodyEntry, EvidenceItem
from casework.rooms.api.serializers import UserRefSerializer


class EvidenceSerializer(serializers.ModelSerializer):
    collected_by = UserRefSerializer(read_only=True)
    source_unit_name = serializers.CharField(source="source_unit.name", default="",
                                             read_only=True)
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceItem
        fields = ["id", "kind", "description", "collected_by", "collected_at", "lat", "lon",
                  "place", "source_unit", "source_unit_name", "has_file", "original_name",
                  "sha256", "size", "content_type", "version", "supersedes", "status",
                  "withdrawn_reason", "withdrawn_at", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_has_file(self, item) -> bool:
        return bool(item.file)


class EvidenceCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    description = serializers.CharField(max_length=4000)
    file = serializers.FileField(required=False, allow_empty_file=False)
    collected_at = serializers.DateTimeField(required=False)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    source_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(),
                                                     required=False)

    def validate_collected_at(self, value):
        return plausible_time(value)


class EvidenceCorrectSerializer(EvidenceCreateSerializer):
    kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CustodyEntrySerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(read_only=True)

    class Meta:
        model = CustodyEntry
        fields = ["id", "seq", "from_holder", "to_holder", "at", "reason", "file_sha256",
                  "actor", "mac"]
        read_only_fields = fields


class CustodyTransferSerializer(serializers.Serializer):
    to_holder = serializers.CharField(max_length=200)
    reason = serializers.CharField(max_length=500)


class ChainReportSerializer(serializers.Serializer):
    evidence_id = serializers.IntegerField()
    entries = serializers.IntegerField()
    ok = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())


class VerifyResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    items = ChainReportSerializer(many=True)
