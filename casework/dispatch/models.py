"""Capture instructions, their assignments to patrol units, escalations, the units' event
logs, and the arrests and recoveries the statistics count."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.accounts.models import Unit
from casework.dispatch.choices import (
    AssignmentResult,
    AssignmentStatus,
    InstructionKind,
    Priority,
)
from casework.entities.models import Entity
from casework.rooms.models import Case

DEFAULT_ACK_DEADLINE_S = 60


class Instruction(models.Model):
    """An instruction issued in a room to one or more units (one assignment each)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="instructions")
    kind = models.CharField(_("kind"), max_length=12, choices=InstructionKind.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices,
                                default=Priority.NORMAL)
    text = models.TextField(_("text"), max_length=2000)
    target_entity = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    lat = models.FloatField(null=True, blank=True,
                            validators=[MinValueValidator(-90), MaxValueValidator(90)])
    lon = models.FloatField(null=True, blank=True,
                            validators=[MinValueValidator(-180), MaxValueValidator(180)])
    place = models.CharField(_("place"), max_length=200, blank=True)
    ack_deadline_s = models.PositiveIntegerField(
        _("acknowledgement deadline (s)"), default=DEFAULT_ACK_DEADLINE_S,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 3600)])
    # drills run the same loop and never enter the case statistics
    drill = models.BooleanField(_("drill"), default=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("instruction")
        verbose_name_plural = _("instructions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Assignment(models.Model):
    """One unit's part of an instruction, moving through the state machine
    (casework.dispatch.choices.TRANSITIONS), each step stamped."""

    instruction = models.ForeignKey(Instruction, on_delete=models.CASCADE,
                                    related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(_("status"), max_length=12, choices=AssignmentStatus.choices,
                              default=AssignmentStatus.SENT)
    result = models.CharField(_("result"), max_length=12, choices=AssignmentResult.choices,
                              blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    ack_deadline_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    en_route_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # where the terminal was at each step it reported one: {"acknowledged": [lat, lon], …}
    positions = models.JSONField(default=dict, blank=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="replaced_by")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            # the escalation sweep: unacknowledged assignments by deadline
            models.Index(fields=["ack_deadline_at"], name="assignment_ack_due",
                         condition=models.Q(status__in=["sent", "delivered"])),
            models.Index(fields=["unit", "status"], name="assignment_unit_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.unit_id} {self.status}"


class Escalation(models.Model):
    """An acknowledgement deadline passed without acknowledgement. One per assignment: the
    unique key makes a second escalation impossible, whichever sweep finds it."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE,
                                      related_name="escalation")
    at = models.DateTimeField(default=timezone.now)
    late_ms = models.IntegerField(default=0)
    suggested_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")

    def __str__(self) -> str:
        return f"escalation of {self.assignment_id}"


class UnitEvent(models.Model):
    """A unit's event log: what its terminals were sent, kept for `resume`."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=50)
    payload = models.JSONField()
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["unit", "seq"]
        constraints = [models.UniqueConstraint(fields=["unit", "seq"],
                                               name="unit_event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.unit_id}#{self.seq} {self.type}"


class Arrest(models.Model):
    """A person captured: who, when, where, by which unit, under which assignment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="arrests")
    person = models.ForeignKey(Entity, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    name = models.CharField(_("name"), max_length=100, blank=True)
    arrested_at = models.DateTimeField(_("arrested at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="arrests")
    drill = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["arrested_at", "id"]
        verbose_name = _("arrest")
        verbose_name_plural = _("arrests")
        constraints = [
            # one arrest of a person per case (the same capture reported twice is one)
            models.UniqueConstraint(fields=["case", "person"], name="arrest_once_per_case",
                                    condition=models.Q(person__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.person_id} @ {self.arrested_at:%Y-%m-%d %H:%M}"


class Recovery(models.Model):
    """Items and value recovered (CNY)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="recoveries")
    items = models.CharField(_("items"), max_length=500)
    value = models.DecimalField(_("value (CNY)"), max_digits=14, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])
    recovered_at = models.DateTimeField(_("recovered at"), default=timezone.now)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="recoveries")
    drill = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recovered_at", "id"]
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")

    def __str__(self) -> str:
        return f"{self.items} ¥{self.value}"


class UnitRequest(models.Model):
    """A room asks to dispatch a patrol unit outside its own bureau; the unit's commander
    (leadership of a unit above it) approves or refuses. Approved, the unit joins the
    units that room may dispatch."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="unit_requests")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, default="pending",
                              choices=[("pending", _("Pending")), ("approved", _("Approved")),
                                       ("refused", _("Refused"))])
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(
            fields=["case", "unit"], condition=models.Q(status__in=["pending", "approved"]),
            name="one_open_unit_request")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.unit_id} ({self.status})"


class IdempotencyKey(models.Model):
    """A terminal action sent with an `Idempotency-Key` (the device's queue gives each action
    one). The same key from the same user again — a replay after a response was lost —
    gets the first record back instead of a second one: the unique key makes a second
    impossible, even for two copies in flight at once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    key = models.CharField(max_length=64)
    action = models.CharField(max_length=20)         # arrest | recovery | photo
    fingerprint = models.CharField(max_length=64)    # SHA-256 of what the request asked for
    object_id = models.BigIntegerField(null=True)    # the record the first request made
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"],
                                               name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} → {self.action} {self.object_id}"
