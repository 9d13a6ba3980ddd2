"""Evidence items and their custody logs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.accounts.models import Unit
from casework.evidence.choices import EvidenceKind, EvidenceStatus
from casework.rooms.models import Case


class EvidenceItem(models.Model):
    """One piece of evidence. Never edited in place: a correction is a new version that
    `supersedes` this one; a withdrawal is a state with a reason. The file's SHA-256 is
    taken at upload and checked on every download."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=30, choices=EvidenceKind.choices)
    description = models.TextField(_("description"), max_length=4000)
    collected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("collected by"))
    collected_at = models.DateTimeField(_("collected at"), default=timezone.now)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    source_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("source unit"))
    file = models.FileField(_("file"), upload_to="evidence/", blank=True, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    content_type = models.CharField(_("detected type"), max_length=100, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    status = models.CharField(_("status"), max_length=20, choices=EvidenceStatus.choices,
                              default=EvidenceStatus.ACTIVE)
    withdrawn_reason = models.CharField(_("withdrawal reason"), max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("evidence item")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class CustodyEntry(models.Model):
    """One hand-over of an evidence item. Append-only and chained: `mac` is an HMAC over
    this entry's fields and the previous entry's `mac`, with a key kept outside the
    database (settings.CUSTODY_HMAC_KEY), so rewriting an entry — even recomputing every
    later one — or deleting one is detected by casework.evidence.custody.verify."""

    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT,
                                 related_name="custody")
    seq = models.PositiveIntegerField()
    from_holder = models.CharField(_("from"), max_length=200, blank=True)
    to_holder = models.CharField(_("to"), max_length=200)
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=500)
    file_sha256 = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    prev_mac = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["evidence", "seq"]
        verbose_name = _("custody entry")
        verbose_name_plural = _("custody log")
        constraints = [models.UniqueConstraint(fields=["evidence", "seq"],
                                               name="custody_seq_unique")]

    def __str__(self) -> str:
        return f"{self.evidence_id}#{self.seq} → {self.to_holder}"
