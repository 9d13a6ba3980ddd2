from __future__ import annotations

from rest_framework import serializers

from casework.accounts.models import Unit, User
from casework.rooms.choices import Category, RoomRole
from casework.rooms.models import Case, Membership, Message, RoomEvent


class UserRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name"]


class CaseSerializer(serializers.ModelSerializer):
    owning_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(),
                                                     required=False)
    owning_unit_name = serializers.CharField(source="owning_unit.name", read_only=True)
    reported_loss = serializers.DecimalField(max_digits=14, decimal_places=2,
                                             min_value=0, coerce_to_string=True)
    category = serializers.ChoiceField(choices=Category.choices)

    class Meta:
        model = Case
        fields = ["id", "number", "title", "category", "owning_unit", "owning_unit_name",
                  "reported_at", "opened_at", "status", "closed_at", "location", "lat", "lon",
                  "reported_loss", "recovered_value"]
        read_only_fields = ["opened_at", "status", "closed_at", "recovered_value"]
        # uniqueness is the service's job (clear 400 from the service, race-safe)
        extra_kwargs = {"number": {"validators": []}}


class CaseUpdateSerializer(CaseSerializer):
    class Meta(CaseSerializer.Meta):
        read_only_fields = [*CaseSerializer.Meta.read_only_fields, "number", "owning_unit"]


class MembershipSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    user_detail = UserRefSerializer(source="user", read_only=True)
    role = serializers.ChoiceField(choices=RoomRole.choices)

    class Meta:
        model = Membership
        fields = ["id", "user", "user_detail", "role", "can_dispatch", "added_at"]
        read_only_fields = ["added_at"]


class MembershipChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=RoomRole.choices, required=False)
    can_dispatch = serializers.BooleanField(required=False)


class MessageSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "text", "author", "created_at"]
        read_only_fields = ["created_at"]


class TimelineEntrySerializer(serializers.ModelSerializer):
    event_id = serializers.IntegerField(source="seq")
    actor = UserRefSerializer(read_only=True)

    class Meta:
        model = RoomEvent
        fields = ["event_id", "type", "at", "actor", "payload"]
