"""Entities (the same phone met in two rooms is one entity), what each room knows about
them, links with their provenance, raw call and sighting records, and import jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.entities.choices import (
    EntityKind,
    ImportKind,
    ImportStatus,
    LinkKind,
    PersonRole,
)
from casework.evidence.models import EvidenceItem
from casework.rooms.models import Case


class Entity(models.Model):
    """A person, phone, vehicle, bank account or location, identified by its normalised
    key. Carries no details: what is known about it lives in each room (CaseEntity), so
    nothing of one room reaches another through the entity."""

    kind = models.CharField(_("kind"), max_length=20, choices=EntityKind.choices)
    key = models.CharField(_("key"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the entity turned out to be the same as another: every row that names this
    # entity stays as it was (so links keep their provenance and the merge can be undone);
    # readers and the graph treat it as `merged_into`.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="aliases")

    class Meta:
        verbose_name = _("entity")
        verbose_name_plural = _("entities")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="entity_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


class CaseEntity(models.Model):
    """What one room knows about an entity: its label there, a person's role, details."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entities")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="in_cases")
    label = models.CharField(_("label"), max_length=200, blank=True)
    role = models.CharField(_("role in case"), max_length=20, choices=PersonRole.choices,
                            blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    evidence = models.ForeignKey(EvidenceItem, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # when the room first marked this person a suspect (time to lock suspects counts to it)
    suspect_since = models.DateTimeField(_("suspect since"), null=True, blank=True)

    class Meta:
        verbose_name = _("entity in a case")
        verbose_name_plural = _("entities in cases")
        constraints = [models.UniqueConstraint(fields=["case", "entity"],
                                               name="case_entity_unique")]

    def __str__(self) -> str:
        return f"{self.label or self.entity.key} in {self.case_id}"


class Link(models.Model):
    """A typed relation between two entities established in one room (its provenance).

    One row per (room, kind, source, target); repeated observations raise `count` and
    widen `first_seen`/`last_seen`. `version` increases with every change and travels to
    the graph through the outbox.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(_("kind"), max_length=20, choices=LinkKind.choices)
    source = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="links_out")
    target = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="links_in")
    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="links")
    count = models.PositiveIntegerField(_("count"), default=1)
    first_seen = models.DateTimeField(_("first seen"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("link")
        verbose_name_plural = _("links")
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "source", "target"],
                                    name="link_unique"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")),
                                   name="link_not_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class CallRecord(models.Model):
    """One call from an imported call-record file. The natural key makes a re-import of
    the same rows a no-op."""

    # No database-level foreign keys on these raw-record tables: a million-row import
    # would otherwise queue four million deferred constraint checks for its commit
    # (bench/import_calls.py: 18.6k → see RESULTS.md). Rows are written by one code path
    # (casework.entities.imports) from ids it resolved in the same transaction; Django
    # still applies on_delete.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+",
                             db_constraint=False)
    caller = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    callee = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    start_time = models.DateTimeField()
    duration_s = models.PositiveIntegerField()
    cell = models.CharField(max_length=100, blank=True)
    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="+",
                                 db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["case", "caller", "callee", "start_time"], name="call_record_unique")]

    def __str__(self) -> str:
        return f"{self.caller_id}→{self.callee_id} at {self.start_time:%Y-%m-%d %H:%M:%S}"


class Sighting(models.Model):
    """One plate read by one camera at one time."""

    # raw records: no database-level foreign keys, as CallRecord explains
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+",
                             db_constraint=False)
    vehicle = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+",
                                db_constraint=False)
    camera = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+",
                               db_constraint=False)
    seen_at = models.DateTimeField()
    lat = models.FloatField()
    lon = models.FloatField()
    place = models.CharField(max_length=200, blank=True)
    evidence = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="+",
                                 db_constraint=False)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["case", "vehicle", "camera", "seen_at"], name="sighting_unique")]

    def __str__(self) -> str:
        return f"{self.vehicle_id} at {self.camera_id} {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ImportJob(models.Model):
    """A CSV import into a room: all rows or none, with a per-row error report."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="imports")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=ImportStatus.choices,
                              default=ImportStatus.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    evidence = models.ForeignKey(EvidenceItem, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"


class EntityMerge(models.Model):
    """A decision that two entities are one (and, if undone, when)."""

    survivor = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.survivor_id}"


class SeriesAlert(models.Model):
    """Two cases found to share an entity: the rooms were told once, and only once (the
    unique pair makes a second notice impossible, whichever worker finds it)."""

    case_low = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    case_high = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case_low", "case_high"], name="series_alert_once"),
            models.CheckConstraint(condition=models.Q(case_low__lt=models.F("case_high")),
                                   name="series_alert_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.case_low_id} ~ {self.case_high_id}"

    def other(self, case_id: int) -> int:
        return self.case_high_id if case_id == self.case_low_id else self.case_low_id
