"""The organisation tree, people, and single-use WebSocket tickets."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node

from casework.accounts.choices import OrgRole, PatrolKind, UnitKind, UnitStatus


class Unit(MP_Node):
    """A node of the organisation: city bureau → county bureau → brigade / station →
    patrol echelon. Materialised paths make "this unit and everything below" one
    indexed prefix match (`path__startswith`)."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    call_sign = models.CharField(_("call sign"), max_length=20, blank=True, db_index=True)
    patrol_kind = models.CharField(_("patrol kind"), max_length=12,
                                   choices=PatrolKind.choices, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=UnitStatus.choices,
                              default=UnitStatus.AVAILABLE)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    position_at = models.DateTimeField(_("position time"), null=True, blank=True)
    # last unit event id handed out (casework.dispatch.events), like Case.event_seq
    event_seq = models.BigIntegerField(default=0, editable=False)

    node_order_by = ["name"]

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                fields=["call_sign"], condition=~models.Q(call_sign=""),
                name="unit_call_sign_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.call_sign})" if self.call_sign else self.name

    @property
    def is_dispatchable(self) -> bool:
        return self.kind == UnitKind.PATROL

    def subtree(self):
        """This unit and every unit below it."""
        return Unit.objects.filter(path__startswith=self.path)

    def bureau_root(self) -> Unit:
        """The city bureau this unit belongs to (the root of its tree)."""
        return self if self.is_root() else Unit.objects.get_root(self)


class User(AbstractUser):
    """A person: one organisational role, one unit."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="members", verbose_name=_("unit"))
    org_role = models.CharField(_("organisational role"), max_length=20,
                                choices=OrgRole.choices, default=OrgRole.INVESTIGATOR)
    language = models.CharField(_("language"), max_length=10, default="zh-hans",
                                choices=[("zh-hans", "中文"), ("en", "English")])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def may_create_cases(self) -> bool:
        return self.org_role in (OrgRole.INVESTIGATOR, OrgRole.LEADERSHIP)


class WsTicket(models.Model):
    """A single-use credential for one WebSocket handshake, valid for a short time.

    It exists so that API tokens never travel in URLs (which end up in proxy logs).
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("WebSocket ticket")
        verbose_name_plural = _("WebSocket tickets")

    def __str__(self) -> str:
        return f"ticket for {self.user_id}"
