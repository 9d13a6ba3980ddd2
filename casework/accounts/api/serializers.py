from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.accounts.models import Unit, User


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False,
                                     style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class TicketResponseSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_at = serializers.DateTimeField()


class PositionSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    at = serializers.DateTimeField(allow_null=True)


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField()

    class Meta:
        model = Unit
        fields = ["id", "name", "name_en", "call_sign", "kind", "patrol_kind", "status",
                  "parent", "position"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_parent(self, unit: Unit) -> int | None:
        # parent from the materialised path, without a query per row
        parents = self.context.get("parent_ids") or {}
        return parents.get(unit.path[: -unit.steplen]) if unit.depth > 1 else None

    @extend_schema_field(PositionSerializer(allow_null=True))
    def get_position(self, unit: Unit):
        if unit.lat is None or unit.lon is None:
            return None
        return {"lat": unit.lat, "lon": unit.lon,
                "at": unit.position_at.isoformat() if unit.position_at else None}


class MeSerializer(serializers.ModelSerializer):
    unit = UnitSerializer(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "org_role", "unit", "language"]


class UserListSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", default="", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "org_role", "unit", "unit_name"]
