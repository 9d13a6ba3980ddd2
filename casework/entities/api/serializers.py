from __future__ import annotations

from rest_framework import serializers

from casework.entities.choices import EntityKind, ImportKind, LinkKind, PersonRole
from casework.entities.models import CaseEntity, EntityMerge, ImportJob, Link


class EntityRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EntityKind.choices)
    key = serializers.CharField()
    label = serializers.CharField()


class CaseEntitySerializer(serializers.ModelSerializer):
    """An entity as this room knows it; `id` is the entity's (shared across rooms)."""

    id = serializers.IntegerField(source="entity_id", read_only=True)
    kind = serializers.CharField(source="entity.kind", read_only=True)
    key = serializers.CharField(source="entity.key", read_only=True)
    role = serializers.CharField(read_only=True, help_text="suspect, victim, witness, other "
                                                           "or empty")
    merged_into = serializers.IntegerField(source="entity.merged_into_id", read_only=True,
                                           allow_null=True)

    class Meta:
        model = CaseEntity
        fields = ["id", "kind", "key", "label", "role", "details", "evidence", "merged_into",
                  "created_at"]
        read_only_fields = fields


class EntityCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EntityKind.choices)
    value = serializers.CharField(max_length=200, allow_blank=True, required=False,
                                  help_text="number, plate, account, place or name")
    label = serializers.CharField(max_length=200, allow_blank=True, required=False)
    role = serializers.ChoiceField(choices=PersonRole.choices, required=False,
                                   allow_blank=True)
    details = serializers.DictField(required=False,
                                    help_text="e.g. id_number, aliases, imei")
    evidence = serializers.IntegerField(required=False)


class LinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = Link
        fields = ["id", "kind", "source", "target", "evidence", "count", "first_seen",
                  "last_seen", "attributes", "version"]
        read_only_fields = fields


class LinkCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LinkKind.choices)
    source = serializers.IntegerField()
    target = serializers.IntegerField()
    evidence = serializers.IntegerField()
    count = serializers.IntegerField(min_value=1, max_value=1_000_000, default=1)
    first_seen = serializers.DateTimeField(required=False)
    last_seen = serializers.DateTimeField(required=False)
    attributes = serializers.DictField(required=False)


class ImportCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(allow_empty_file=False)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportErrorsSerializer(serializers.Serializer):
    """400: per-row `errors` for a refused file, or field messages (`kind`, `file`) for a
    malformed request."""

    errors = RowErrorSerializer(many=True, required=False)


class ImportJobSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    errors = RowErrorSerializer(many=True, read_only=True)

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "status", "status_url", "counts", "errors", "rows_total",
                  "rows_done", "original_name", "sha256", "size", "evidence", "created_at",
                  "finished_at"]
        read_only_fields = fields

    def get_status_url(self, job) -> str:
        return f"/api/imports/{job.pk}/"


class SearchCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()


class SearchResultSerializer(serializers.Serializer):
    entity = EntityRefSerializer()
    cases = SearchCaseSerializer(many=True)
    other_cases = serializers.IntegerField()


class SearchResponseSerializer(serializers.Serializer):
    results = SearchResultSerializer(many=True)


class MergeCreateSerializer(serializers.Serializer):
    survivor = serializers.IntegerField()
    merged = serializers.IntegerField()
    reason = serializers.CharField(max_length=500)


class MergeSerializer(serializers.ModelSerializer):
    class Meta:
        model = EntityMerge
        fields = ["id", "survivor", "merged", "reason", "created_at", "undone_at"]
        read_only_fields = fields
