"""Write paths for entities and links: by hand, and from imported files."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.accounts.models import User
from casework.core import audit
from casework.core.errors import Conflict, NotFound, contains_nul
from casework.core.publish import enqueue_on_commit
from casework.entities import outbox
from casework.entities.choices import UNDIRECTED, EntityKind, LinkKind, PersonRole
from casework.entities.events import entity_payload, link_payload
from casework.entities.keys import key_for
from casework.entities.models import CaseEntity, Entity, EntityMerge, Link
from casework.entities.normalise import InvalidKey
from casework.evidence.models import EvidenceItem
from casework.rooms import events
from casework.rooms.access import get_case_for_user
from casework.rooms.choices import CasePerm
from casework.rooms.models import Case


def ensure_entities(keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(kind, key) → entity id, creating the missing ones (concurrency-safe: an insert
    that loses a race is ignored and the row read back)."""
    if not keys:
        return {}
    Entity.objects.bulk_create([Entity(kind=k, key=v) for k, v in keys],
                               ignore_conflicts=True, batch_size=5000)
    found: dict[tuple[str, str], int] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, key in keys:
        by_kind.setdefault(kind, []).append(key)
    for kind, values in by_kind.items():
        for start in range(0, len(values), 5000):
            chunk = values[start:start + 5000]
            for pk, key in Entity.objects.filter(kind=kind, key__in=chunk).values_list(
                    "id", "key"):
                found[(kind, key)] = pk
    return found


def ensure_in_case(*, case: Case, entity_ids: list[int], actor: User | None,
                   evidence: EvidenceItem | None, labels: dict[int, str] | None = None
                   ) -> list[CaseEntity]:
    """Make the entities part of the room (new ones get an outbox involvement row).
    Returns the CaseEntity rows that are new."""
    labels = labels or {}
    existing = set(CaseEntity.objects.filter(case=case, entity_id__in=entity_ids)
                   .values_list("entity_id", flat=True))
    new = [CaseEntity(case=case, entity_id=e, label=labels.get(e, ""), evidence=evidence,
                      created_by=actor)
           for e in dict.fromkeys(entity_ids) if e not in existing]
    CaseEntity.objects.bulk_create(new, ignore_conflicts=True, batch_size=5000)
    created = list(CaseEntity.objects.filter(case=case, entity_id__in=[c.entity_id for c in new])
                   .select_related("entity"))
    outbox.enqueue_involvements(created)
    if created:
        enqueue_on_commit("casework.entities.tasks.detect_series", case.pk,
                          [c.entity_id for c in created])
    return created


def _evidence_in_case(case: Case, evidence_id) -> EvidenceItem:
    item = EvidenceItem.objects.filter(pk=evidence_id, case=case).first() if evidence_id else None
    if item is None:
        raise ValidationError({"evidence": [_("Name the evidence item, in this room, that "
                                              "establishes it.")]})
    return item


def add_entity(*, actor: User, case_id: int, kind: str, value: str = "", label: str = "",
               role: str = "", details: dict | None = None,
               evidence_id: int | None = None) -> CaseEntity:
    """Record an entity in the room by hand. Known already (same normalised key, in this
    room or another): the same entity; this room's label, role and details are set."""
    if kind not in EntityKind.values:
        raise ValidationError({"kind": [_("Unknown entity kind.")]})
    if role and role not in PersonRole.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    details = details or {}
    if contains_nul(details) or contains_nul(value) or contains_nul(label):
        raise ValidationError({"details": [_("Null characters are not allowed.")]})
    try:
        key = key_for(kind, value, details)
    except InvalidKey as exc:
        raise ValidationError({"value": [str(exc)]}) from None
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        evidence = _evidence_in_case(case, evidence_id) if evidence_id else None
        entity_id = ensure_entities({(kind, key)})[(kind, key)]
        ensure_in_case(case=case, entity_ids=[entity_id], actor=actor, evidence=evidence)
        # lock: two members describing the same entity at once
        ce = (CaseEntity.objects.select_for_update().select_related("entity")
              .get(case=case, entity_id=entity_id))
        ce.label = (label or value or ce.label)[:200]
        ce.role = role or ce.role
        if ce.role == PersonRole.SUSPECT and ce.suspect_since is None:
            ce.suspect_since = timezone.now()
        ce.details = {**ce.details, **details}
        ce.save(update_fields=["label", "role", "details", "suspect_since"])
        outbox.enqueue_involvements([ce])
        audit.record(actor=actor, action="entity.added", obj=ce, case_id=case.pk,
                     detail={"kind": kind, "key": key})
        events.emit(case=case, type="entity.added", payload=entity_payload(ce), actor=actor)
    return ce


def _ordered(kind: str, source: int, target: int) -> tuple[int, int]:
    return (min(source, target), max(source, target)) if kind in UNDIRECTED else (source, target)


def add_link(*, actor: User, case_id: int, kind: str, source: int, target: int,
             evidence_id: int, count: int = 1, first_seen: datetime | None = None,
             last_seen: datetime | None = None, attributes: dict | None = None) -> Link:
    """Record a link between two of the room's entities, with the evidence behind it.
    The same link again adds to its count and widens its time span."""
    if kind not in LinkKind.values:
        raise ValidationError({"kind": [_("Unknown link kind.")]})
    if source == target:
        raise ValidationError({"target": [_("An entity cannot be linked to itself.")]})
    if count < 1:
        raise ValidationError({"count": [_("At least 1.")]})
    if contains_nul(attributes or {}):
        raise ValidationError({"attributes": [_("Null characters are not allowed.")]})
    first_seen = first_seen or last_seen
    last_seen = last_seen or first_seen
    if first_seen and last_seen and first_seen > last_seen:
        raise ValidationError({"first_seen": [_("First seen is after last seen.")]})
    source, target = _ordered(kind, source, target)
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        evidence = _evidence_in_case(case, evidence_id)
        known = set(CaseEntity.objects.filter(case=case, entity_id__in=[source, target])
                    .values_list("entity_id", flat=True))
        if known != {source, target}:
            raise ValidationError({"source": [_("Both entities must be in this room.")]})
        Link.objects.bulk_create([Link(case=case, kind=kind, source_id=source,
                                       target_id=target, evidence=evidence, count=0,
                                       first_seen=first_seen, last_seen=last_seen,
                                       created_by=actor)], ignore_conflicts=True)
        # lock: concurrent additions to one link must each count
        link = Link.objects.select_for_update().get(case=case, kind=kind, source_id=source,
                                                    target_id=target)
        link.count += count
        if first_seen:
            link.first_seen = min(filter(None, [link.first_seen, first_seen]))
            link.last_seen = max(filter(None, [link.last_seen, last_seen]))
        link.attributes = {**link.attributes, **(attributes or {})}
        link.version += 1
        link.updated_at = timezone.now()
        link.save()
        outbox.enqueue_links([link])
        audit.record(actor=actor, action="link.added", obj=link, case_id=case.pk,
                     detail={"kind": kind, "source": source, "target": target,
                             "count": count, "evidence_id": evidence.pk})
        events.emit(case=case, type="link.added", payload=link_payload(link), actor=actor)
    return link


def upsert_aggregated_links(*, case: Case, kind: str, evidence: EvidenceItem, sql: str,
                            params: list) -> list[int]:
    """Set links of `kind` in the room to the aggregate that `sql` yields
    (source_id, target_id, count, first_seen, last_seen). Rows whose state did not change
    are left alone; the changed ones get a new version and an outbox row. Returns the ids
    of the changed links.

    Setting the aggregate (not adding to it) is what makes a re-import a no-op."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH agg AS ({sql})
            INSERT INTO entities_link AS l (case_id, kind, source_id, target_id, evidence_id,
                count, first_seen, last_seen, attributes, version, created_at, updated_at)
            SELECT %s, %s, agg.source_id, agg.target_id, %s, agg.count, agg.first_seen,
                   agg.last_seen, '{{}}'::jsonb, 1, now(), now()
            FROM agg
            ON CONFLICT (case_id, kind, source_id, target_id) DO UPDATE
            SET count = EXCLUDED.count, first_seen = EXCLUDED.first_seen,
                last_seen = EXCLUDED.last_seen, version = l.version + 1, updated_at = now()
            WHERE (l.count, l.first_seen, l.last_seen)
                  IS DISTINCT FROM (EXCLUDED.count, EXCLUDED.first_seen, EXCLUDED.last_seen)
            RETURNING l.id""", [*params, case.pk, kind, evidence.pk])  # noqa: S608
        changed = [row[0] for row in cursor.fetchall()]
    outbox.enqueue_link_ids(changed)
    return changed


def copy_rows(cursor, table: str, columns: tuple[str, ...], rows) -> None:
    """Stream rows into a table with COPY (psycopg 3): an order of magnitude faster than
    INSERTs for an import's hundreds of thousands of rows."""
    raw = cursor.cursor  # psycopg's own cursor under Django's wrapper
    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def merge_entities(*, actor: User, case_id: int, survivor: int, merged: int,
                   reason: str) -> EntityMerge:
    """Decide that `merged` is the same thing as `survivor`. Nothing is rewritten: every
    link keeps its rows and provenance; the merged entity is drawn as the survivor until
    the merge is undone."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why they are the same.")]})
    if survivor == merged:
        raise ValidationError({"merged": [_("An entity cannot be merged into itself.")]})
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        in_room = set(CaseEntity.objects.filter(case=case, entity_id__in=[survivor, merged])
                      .values_list("entity_id", flat=True))
        if in_room != {survivor, merged}:
            raise ValidationError({"merged": [_("Both entities must be in this room.")]})
        # lock both: a merge racing another merge of either could form a chain
        rows = {e.pk: e for e in Entity.objects.select_for_update()
                .filter(pk__in=[survivor, merged])}
        keep, gone = rows[survivor], rows[merged]
        if keep.kind != gone.kind:
            raise ValidationError({"merged": [_("Only entities of one kind can be merged.")]})
        if keep.merged_into_id or gone.merged_into_id:
            raise Conflict(_("One of them is already merged into another entity."))
        if Entity.objects.filter(merged_into=gone).exists():
            raise Conflict(_("Other entities are merged into this one: undo those first."))
        gone.merged_into = keep
        gone.save(update_fields=["merged_into"])
        record = EntityMerge.objects.create(survivor=keep, merged=gone, case=case,
                                            reason=reason.strip(), actor=actor)
        outbox.enqueue_entity_everywhere(gone.pk)
        audit.record(actor=actor, action="entity.merged", obj=record, case_id=case.pk,
                     detail={"survivor": keep.pk, "merged": gone.pk, "reason": record.reason})
        events.emit(case=case, type="entity.merged", actor=actor,
                    payload={"id": record.pk, "survivor": keep.pk, "merged": gone.pk,
                             "undone": False})
    return record


def undo_merge(*, actor: User, case_id: int, merge_id: int) -> EntityMerge:
    """Separate the entities again; their links are drawn as before the merge."""
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        record = (EntityMerge.objects.select_for_update().filter(pk=merge_id, case=case)
                  .first())
        if record is None:
            raise NotFound(_("No such merge in this room."))
        if record.undone_at is not None:
            raise Conflict(_("This merge was already undone."))
        Entity.objects.filter(pk=record.merged_id).update(merged_into=None)
        record.undone_at, record.undone_by = timezone.now(), actor
        record.save(update_fields=["undone_at", "undone_by"])
        outbox.enqueue_entity_everywhere(record.merged_id)
        audit.record(actor=actor, action="entity.unmerged", obj=record, case_id=case.pk,
                     detail={"survivor": record.survivor_id, "merged": record.merged_id})
        events.emit(case=case, type="entity.merged", actor=actor,
                    payload={"id": record.pk, "survivor": record.survivor_id,
                             "merged": record.merged_id, "undone": True})
    return record
