from django.db import models
from django.utils.translation import gettext_lazy as _


class InstructionKind(models.TextChoices):
    CAPTURE = "capture", _("Capture")
    INTERCEPT = "intercept", _("Intercept")
    SEARCH = "search", _("Search")
    VERIFY = "verify", _("Verify")
    GUARD = "guard", _("Guard")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class AssignmentStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    EN_ROUTE = "en_route", _("En route")
    ON_SCENE = "on_scene", _("On scene")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


class AssignmentResult(models.TextChoices):
    CAPTURED = "captured", _("Captured")
    NOT_FOUND = "not_found", _("Not found")
    HANDED_OVER = "handed_over", _("Handed over")


S = AssignmentStatus
# The state machine (DESIGN.md). `delivered` is optional: acknowledging from `sent` is
# legal. `cancelled` comes only from the room (cancel or reassign), never from a terminal.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.SENT: frozenset({S.DELIVERED, S.ACKNOWLEDGED, S.DECLINED, S.CANCELLED}),
    S.DELIVERED: frozenset({S.ACKNOWLEDGED, S.DECLINED, S.CANCELLED}),
    S.ACKNOWLEDGED: frozenset({S.EN_ROUTE, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ON_SCENE, S.CANCELLED}),
    S.ON_SCENE: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.DECLINED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset({S.SENT, S.DELIVERED, S.ACKNOWLEDGED, S.EN_ROUTE, S.ON_SCENE})
UNACKNOWLEDGED = frozenset({S.SENT, S.DELIVERED})
# the timestamp field of each status
STAMP = {s: f"{s}_at" for s in S.values}
