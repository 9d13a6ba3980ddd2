"""Cases, their rooms' memberships, room events, and the derived object permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from casework.accounts.models import Unit
from casework.rooms.choices import AccessRequestStatus, CasePerm, CaseStatus, Category, RoomRole
from casework.rooms.querysets import CaseQuerySet

EARLIEST_ALARM = datetime(1990, 1, 1, tzinfo=UTC)


class Case(models.Model):
    """A case and its room. Times are stored in UTC and shown in Asia/Shanghai."""

    number = models.CharField(_("number"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    owning_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cases",
                                    verbose_name=_("owning unit"))
    reported_at = models.DateTimeField(_("reported at (alarm)"))
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=CaseStatus.choices,
                              default=CaseStatus.OPEN, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    reported_loss = models.DecimalField(_("reported loss (CNY)"), max_digits=14,
                                        decimal_places=2, default=Decimal("0"),
                                        validators=[MinValueValidator(Decimal("0"))])
    recovered_value = models.DecimalField(_("recovered value (CNY)"), max_digits=14,
                                          decimal_places=2, default=Decimal("0"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # last room event id handed out; bumped with UPDATE … RETURNING so that event ids
    # follow commit order within a room (see casework.rooms.events)
    event_seq = models.BigIntegerField(default=0, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [(p.value, p.label) for p in CasePerm if p.value not in
                       ("view_case", "change_case")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    def clean(self) -> None:
        # an alarm is in the past (a few minutes of clock skew between terminals allowed)
        # and within the era of digital case records
        if self.reported_at is not None:
            latest = timezone.now() + timedelta(minutes=5)
            if not EARLIEST_ALARM <= self.reported_at <= latest:
                raise ValidationError({"reported_at": [
                    _("The alarm time must lie between 1990 and now.")]})


class Membership(models.Model):
    """A user's room role in a case. The only input from which case permissions derive."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    role = models.CharField(_("room role"), max_length=10, choices=RoomRole.choices)
    can_dispatch = models.BooleanField(_("may dispatch"), default=False)
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} in {self.case}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """guardian's direct-FK permission rows for cases (the generic table is slow at
    scale). Written only by casework.rooms.permissions.sync_case_permissions."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    # guardian's unique (user, permission, content_object) index serves the choke point
    class Meta(UserObjectPermissionBase.Meta):
        pass


class RoomEvent(models.Model):
    """A room's event log: what live clients were sent, kept for `resume` and the
    timeline. `seq` increases per room in commit order."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=50)
    payload = models.JSONField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")

    class Meta:
        ordering = ["case", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["case", "seq"], name="room_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.type}"


class Message(models.Model):
    """A consultation message in a room."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")
    text = models.TextField(_("text"), max_length=4000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return self.text[:40]


class AccessRequest(models.Model):
    """A request, from a masked link-analysis result, to see a room the user may not open.

    The requester never learns which room it is until the lead grants it: the request
    carries the room's id but the API shows the requester only its status. A grant is
    time-limited; the choke point (casework.rooms.access) honours it only until
    `expires_at`, so nothing has to run when it lapses.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="access_requests")
    # the room whose analysis found the link, and the requester's entities it shares
    from_case = models.ForeignKey(Case, null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    shared_entities = models.JSONField(default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=AccessRequestStatus.choices,
                              default=AccessRequestStatus.PENDING, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("access until"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        indexes = [models.Index(fields=["requester", "status", "expires_at"],
                                name="access_grant_lookup")]
        constraints = [
            # one open request per user and room: asking twice changes nothing
            models.UniqueConstraint(fields=["case", "requester"],
                                    condition=models.Q(status="pending"),
                                    name="one_pending_access_request"),
            models.CheckConstraint(condition=~models.Q(status="granted")
                                   | models.Q(expires_at__isnull=False),
                                   name="grant_has_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.requester} → {self.case_id} ({self.status})"
