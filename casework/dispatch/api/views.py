"""Dispatch API: instructions from the room, assignments from the terminal, arrests and
recoveries. Translate HTTP to service calls and back."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.core.errors import NotFound
from casework.core.times import plausible_time
from casework.dispatch import events, photos, selectors, services, unit_requests
from casework.dispatch.choices import InstructionKind, Priority
from casework.dispatch.models import Arrest, Assignment, Instruction, Recovery
from casework.rooms.access import get_case_for_user
from casework.rooms.choices import CasePerm


class InstructionIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InstructionKind.choices)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False,
                                       default=Priority.NORMAL)
    units = serializers.ListField(child=serializers.IntegerField(), min_length=1,
                                  max_length=1000)
    text = serializers.CharField(max_length=2000)
    target_entity = serializers.IntegerField(required=False, allow_null=True)
    lat = serializers.FloatField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    ack_deadline_s = serializers.IntegerField(required=False, min_value=1,
                                              max_value=24 * 3600)
    drill = serializers.BooleanField(required=False, default=False)


class StatusIn(serializers.Serializer):
    status = serializers.CharField(max_length=20)
    result = serializers.CharField(required=False, allow_blank=True, max_length=20)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    lat = serializers.FloatField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)


class PositionIn(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()


class AckIn(serializers.Serializer):
    lat = serializers.FloatField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)


class ReassignIn(serializers.Serializer):
    unit = serializers.IntegerField()


class ArrestIn(serializers.Serializer):
    arrested_at = serializers.DateTimeField()
    person = serializers.IntegerField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    lat = serializers.FloatField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)
    unit = serializers.IntegerField(required=False, allow_null=True)
    assignment = serializers.IntegerField(required=False, allow_null=True)

    def validate_arrested_at(self, value):
        return plausible_time(value)


class RecoveryIn(serializers.Serializer):
    items = serializers.CharField(max_length=500)
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    recovered_at = serializers.DateTimeField(required=False)
    assignment = serializers.IntegerField(required=False, allow_null=True)

    def validate_recovered_at(self, value):
        return plausible_time(value)


def _valid(serializer_class, data):
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="One per action (1–64 of A–Z a–z 0–9 . _ : -). The same key again from the "
                "same user returns the first record (201, header Idempotent-Replayed: true) "
                "instead of recording a second; with a different request, 409.")


def _key(request) -> str | None:
    return request.headers.get("Idempotency-Key")


def _created(record, body: dict) -> Response:
    """201 with the record; a replay answers as the first request did, and says so."""
    response = Response(body, status=status.HTTP_201_CREATED)
    if getattr(record, "replayed", False):
        response["Idempotent-Replayed"] = "true"
    return response


def instruction_out(instruction: Instruction) -> dict:
    assignments = sorted(instruction.assignments.all(), key=lambda a: a.pk)
    return {"id": instruction.pk, **events.instruction_payload(instruction),
            "assignments": [events.assignment_payload(a) for a in assignments]}


class CaseInstructionsView(APIView):
    """GET: the room's instructions with their assignments. POST: issue one (lead, or a
    member who may dispatch) to units the room may dispatch. JSON only: a form can carry
    at most 1,000 fields (Django's limit), fewer than an instruction's units."""

    parser_classes = [JSONParser]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, case_pk):
        case = get_case_for_user(request.user, case_pk)
        items = (Instruction.objects.filter(case=case)
                 .select_related("case", "target_entity", "issued_by")
                 .prefetch_related("assignments__unit", "assignments__escalation")
                 .order_by("-id")[:200])
        return Response({"results": [instruction_out(i) for i in items]})

    @extend_schema(request=InstructionIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, case_pk):
        data = _valid(InstructionIn, request.data)
        instruction = services.issue_instruction(actor=request.user, case_id=case_pk, **data)
        return Response(instruction_out(instruction), status=status.HTTP_201_CREATED)


def _instruction_for(user, pk) -> Instruction:
    instruction = (Instruction.objects.select_related("case", "target_entity", "issued_by")
                   .filter(pk=pk).first())
    if instruction is None:
        raise NotFound("no such instruction")
    if user.unit_id and selectors.is_officer_of(user, user.unit_id) and \
            instruction.assignments.filter(unit_id=user.unit_id).exists():
        return instruction
    get_case_for_user(user, instruction.case_id)
    return instruction


class InstructionView(APIView):
    """One instruction: visible to whoever may open its room, and to the officers of a
    unit it was sent to."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        return Response(instruction_out(_instruction_for(request.user, pk)))


class InstructionCancelView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        instruction = services.cancel_instruction(actor=request.user, instruction_id=pk)
        return Response(instruction_out(instruction))


def assignment_out(a: Assignment) -> dict:
    a = (Assignment.objects.select_related("instruction__case", "instruction__target_entity",
                                           "instruction__issued_by", "unit")
         .get(pk=a.pk))
    return events.for_terminal(a)


class AssignmentAckView(APIView):
    """The unit acknowledges (repeating it returns the same)."""

    @extend_schema(request=AckIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        data = _valid(AckIn, request.data)
        a = services.transition(actor=request.user, assignment_id=pk, status="acknowledged",
                                lat=data.get("lat"), lon=data.get("lon"))
        return Response(assignment_out(a))


class AssignmentStatusView(APIView):
    """The unit reports en route / on scene / completed (with `result`) / declined (with
    `reason`) / delivered. 409 when the status cannot follow the current one."""

    @extend_schema(request=StatusIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        data = _valid(StatusIn, request.data)
        a = services.transition(actor=request.user, assignment_id=pk, **data)
        return Response(assignment_out(a))


class AssignmentReassignView(APIView):
    """The room gives the instruction to another unit (this assignment is cancelled)."""

    @extend_schema(request=ReassignIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        data = _valid(ReassignIn, request.data)
        a = services.reassign(actor=request.user, assignment_id=pk, unit_id=data["unit"])
        return Response(assignment_out(a), status=status.HTTP_201_CREATED)


class UnitPositionView(APIView):
    """A terminal reports its unit's position."""

    @extend_schema(request=PositionIn, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        data = _valid(PositionIn, request.data)
        unit = services.update_position(actor=request.user, unit_id=pk, **data)
        return Response({"id": unit.pk, "position": {
            "lat": unit.lat, "lon": unit.lon, "at": unit.position_at.isoformat()}})


class UnitAssignmentsView(APIView):
    """The unit's open assignments (its officers' terminal) and its last event id."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, pk):
        assignments, last_event_id = selectors.terminal_assignments(request.user, pk)
        return Response({"results": [events.for_terminal(a) for a in assignments],
                         "last_event_id": last_event_id})


class PhotoIn(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180,
                                 max_value=180)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)


class AssignmentPhotosView(APIView):
    """A patrol officer adds a photo to the case under their unit's assignment (the
    room's evidence endpoint is for members)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": PhotoIn}, parameters=[IDEMPOTENCY_KEY],
                   responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk):
        data = _valid(PhotoIn, request.data)
        item = photos.add_assignment_photo(actor=request.user, assignment_id=pk,
                                           upload=data.pop("file"),
                                           idempotency_key=_key(request), **data)
        return _created(item, {"id": item.pk, "case_id": item.case_id, "kind": item.kind,
                               "description": item.description, "sha256": item.sha256,
                               "size": item.size, "content_type": item.content_type})


class SuggestUnitsView(APIView):
    """Available units the room may dispatch, nearest first to `lat`,`lon`."""

    @extend_schema(parameters=[OpenApiParameter("lat", float, required=True),
                               OpenApiParameter("lon", float, required=True)],
                   responses=OpenApiTypes.OBJECT)
    def get(self, request, case_pk):
        case = get_case_for_user(request.user, case_pk, CasePerm.DISPATCH)
        try:
            lat, lon = float(request.query_params["lat"]), float(request.query_params["lon"])
        except (KeyError, ValueError):
            raise DRFValidationError({"lat": ["lat and lon as numbers"]}) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise DRFValidationError({"lat": ["lat −90…90, lon −180…180"]})
        return Response({"results": [
            {"unit": events.unit_ref(s["unit"]), "distance_m": s["distance_m"],
             "position_at": s["position_at"].isoformat() if s["position_at"] else None,
             "stale": s["stale"]} for s in selectors.suggest(case, lat, lon)]})


class CaseDispatchUnitsView(APIView):
    """The patrol units this room may dispatch, with status and last known position (the
    room's map and the issue form). Whoever may open the room sees them."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, case_pk):
        case = get_case_for_user(request.user, case_pk)
        units = selectors.dispatchable_units(case).order_by("call_sign", "id")[:1000]
        return Response({"results": [
            {**events.unit_ref(u), "name_en": u.name_en, "patrol_kind": u.patrol_kind,
             "status": u.status,
             "position": ({"lat": u.lat, "lon": u.lon,
                           "at": u.position_at.isoformat() if u.position_at else None}
                          if u.lat is not None and u.lon is not None else None)}
            for u in units]})


def arrest_out(arrest: Arrest) -> dict:
    return services.arrest_payload(arrest)


class CaseArrestsView(APIView):
    """GET: the room's arrests. POST: record one (room members; a patrol officer under
    their unit's assignment)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, case_pk):
        case = get_case_for_user(request.user, case_pk)
        return Response({"results": [arrest_out(a) for a in case.arrests.all()]})

    @extend_schema(request=ArrestIn, parameters=[IDEMPOTENCY_KEY],
                   responses={201: OpenApiTypes.OBJECT})
    def post(self, request, case_pk):
        data = _valid(ArrestIn, request.data)
        arrest = services.record_arrest(actor=request.user, case_id=case_pk,
                                        idempotency_key=_key(request), **data)
        return _created(arrest, arrest_out(arrest))


class CaseRecoveriesView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, case_pk):
        case = get_case_for_user(request.user, case_pk)
        return Response({"results": [
            {"id": r.pk, "items": r.items, "value": str(r.value), "drill": r.drill,
             "recovered_at": r.recovered_at.isoformat(), "assignment": r.assignment_id}
            for r in Recovery.objects.filter(case=case)]})

    @extend_schema(request=RecoveryIn, parameters=[IDEMPOTENCY_KEY],
                   responses={201: OpenApiTypes.OBJECT})
    def post(self, request, case_pk):
        data = _valid(RecoveryIn, request.data)
        recovery = services.record_recovery(actor=request.user, case_id=case_pk,
                                            idempotency_key=_key(request), **data)
        return _created(recovery, {"id": recovery.pk, "items": recovery.items,
                                   "value": str(recovery.value), "drill": recovery.drill})


class UnitRequestIn(serializers.Serializer):
    unit = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class CaseUnitRequestsView(APIView):
    """The room (lead or dispatcher) asks to dispatch a unit outside its own bureau."""

    @extend_schema(request=UnitRequestIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, case_pk):
        data = _valid(UnitRequestIn, request.data)
        made = unit_requests.request_unit(actor=request.user, case_id=case_pk,
                                          unit_id=data["unit"], reason=data.get("reason", ""))
        return Response(unit_requests.payload(made), status=status.HTTP_201_CREATED)


class UnitRequestsView(APIView):
    """Requests waiting for my decision as a commander of the units asked for."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response({"results": unit_requests.to_decide(request.user)})


class UnitRequestApproveView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        made = unit_requests.decide(actor=request.user, request_id=pk, approve=True)
        return Response(unit_requests.payload(made))


class UnitRequestRefuseView(APIView):
    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, pk):
        made = unit_requests.decide(actor=request.user, request_id=pk, approve=False)
        return Response(unit_requests.payload(made))
