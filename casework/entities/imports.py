"""CSV imports of call records and plate sightings: all rows or none.

Small files (≤ IMPORT_SYNC_MAX_BYTES) are imported in the request; larger ones by a Celery
task (casework.entities.tasks.run_import) whose progress the job row shows. Either way the
rows are validated first and written in one transaction; any error writes nothing.
Re-importing rows already imported is a no-op: each call and sighting has a natural key,
and links are set to the aggregate of the records (not incremented).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.accounts.models import User
from casework.core import audit
from casework.core.publish import enqueue_on_commit
from casework.entities import csv_import, services
from casework.entities.choices import EntityKind, ImportKind, ImportStatus, LinkKind
from casework.entities.models import ImportJob
from casework.entities.normalise import text as text_key
from casework.evidence import files
from casework.evidence.choices import EvidenceKind, EvidenceStatus
from casework.evidence.models import EvidenceItem
from casework.evidence.services import do_add_evidence
from casework.rooms import events
from casework.rooms.access import get_case_for_user
from casework.rooms.choices import CasePerm
from casework.rooms.models import Case

EVIDENCE_KIND = {ImportKind.CALLS: EvidenceKind.CALL_RECORDS,
                 ImportKind.SIGHTINGS: EvidenceKind.PLATE_SIGHTING}


def _check_kind(kind: str) -> None:
    if kind not in ImportKind.values:
        raise ValidationError({"kind": [_("calls or sightings")]})


def start_import(*, actor: User, case_id: int, kind: str, upload) -> ImportJob:
    """Import now (small file) or queue it (large file). Raises ImportRefused for a small
    file with errors (nothing is written)."""
    _check_kind(kind)
    get_case_for_user(actor, case_id, CasePerm.POST)
    if upload.size <= settings.IMPORT_SYNC_MAX_BYTES:
        return import_now(actor=actor, case_id=case_id, kind=kind, data=upload.read(),
                          name=upload.name or f"{kind}.csv")
    sha256, size = files.hash_stream(upload)
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        job = ImportJob(case=case, kind=kind, original_name=(upload.name or "")[:255],
                        sha256=sha256, size=size, created_by=actor)
        job.file.save(f"{sha256}.csv", upload, save=False)
        job.save()
        audit.record(actor=actor, action="import.queued", obj=job, case_id=case.pk,
                     detail={"kind": kind, "sha256": sha256, "size": size})
        enqueue_on_commit("casework.entities.tasks.run_import", job.pk)
    return job


def import_now(*, actor: User, case_id: int, kind: str, data: bytes, name: str,
               job: ImportJob | None = None, progress=None) -> ImportJob:
    """Validate every row, then write everything in one transaction."""
    _check_kind(kind)
    parse = csv_import.parse_calls if kind == ImportKind.CALLS else csv_import.parse_sightings
    parsed = parse(data, progress)
    sha256 = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        # lock: imports into one room run one after another, so the before/after counts
        # below are this import's own
        Case.objects.select_for_update().filter(pk=case.pk).get()
        evidence = _evidence_for_file(actor, case, kind, data, name, sha256)
        apply = _apply_calls if kind == ImportKind.CALLS else _apply_sightings
        counts = apply(case=case, rows=parsed, evidence=evidence, actor=actor)
        if job is None:
            job = ImportJob(case=case, kind=kind, original_name=name[:255], sha256=sha256,
                            size=len(data), created_by=actor)
        job.status = ImportStatus.SUCCEEDED
        job.rows_total = job.rows_done = len(parsed)
        job.counts, job.errors, job.evidence = counts, [], evidence
        job.finished_at = timezone.now()
        job.save()
        audit.record(actor=actor, action="import.succeeded", obj=job, case_id=case.pk,
                     detail={"kind": kind, "sha256": sha256, **counts})
        events.emit(case=case, type="import.succeeded", actor=actor,
                    payload={"id": job.pk, "kind": kind, "counts": counts,
                             "evidence_id": evidence.pk})
    return job


def _evidence_for_file(actor, case, kind, data, name, sha256) -> EvidenceItem:
    """The room's evidence item for this exact file; a re-import reuses it."""
    evidence_kind = EVIDENCE_KIND[kind]
    existing = EvidenceItem.objects.filter(case=case, kind=evidence_kind, sha256=sha256,
                                           status=EvidenceStatus.ACTIVE).first()
    if existing is not None:
        return existing
    upload = ContentFile(data, name=name if name.lower().endswith(".csv") else f"{name}.csv")
    stored = files.store(upload, case_id=case.pk)
    try:
        return do_add_evidence(actor=actor, case=case, kind=evidence_kind,
                               description=_("Imported file %(name)s") % {"name": name},
                               stored=stored)
    except BaseException:
        from django.core.files.storage import default_storage

        default_storage.delete(stored.name)
        raise


def _staged(cursor, name: str, columns: str) -> None:
    """A temporary staging table for this transaction (dropped at commit)."""
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DROP")
    cursor.execute(f"TRUNCATE {name}")


def _apply_calls(*, case, rows, evidence, actor) -> dict:
    phone = EntityKind.PHONE
    keys = {(phone, r.caller) for r in rows} | {(phone, r.callee) for r in rows}
    ids = services.ensure_entities(keys)
    new_in_case = services.ensure_in_case(case=case, entity_ids=list(ids.values()),
                                          actor=actor, evidence=evidence)
    with connection.cursor() as cursor:
        _staged(cursor, "import_calls", "caller_id bigint, callee_id bigint, "
                "start_time timestamptz, duration_s int, cell text")
        services.copy_rows(cursor, "import_calls",
                           ("caller_id", "callee_id", "start_time", "duration_s", "cell"),
                           ((ids[(phone, r.caller)], ids[(phone, r.callee)], r.start_time,
                             r.duration_s, r.cell) for r in rows))
        # the natural key makes rows imported before (or twice in this file) a no-op
        cursor.execute("""
            INSERT INTO entities_callrecord (case_id, caller_id, callee_id, start_time,
                                             duration_s, cell, evidence_id)
            SELECT %s, caller_id, callee_id, start_time, duration_s, cell, %s
            FROM import_calls ON CONFLICT DO NOTHING""", [case.pk, evidence.pk])
        added = cursor.rowcount
    links = services.upsert_aggregated_links(
        case=case, kind=LinkKind.CALLED, evidence=evidence,
        sql="""SELECT c.caller_id AS source_id, c.callee_id AS target_id, count(*) AS count,
                      min(c.start_time) AS first_seen, max(c.start_time) AS last_seen
               FROM entities_callrecord c
               JOIN (SELECT DISTINCT caller_id, callee_id FROM import_calls) t
                 ON c.caller_id = t.caller_id AND c.callee_id = t.callee_id
               WHERE c.case_id = %s GROUP BY 1, 2""",
        params=[case.pk])
    return {"rows": len(rows), "new_records": added, "duplicates": len(rows) - added,
            "phones": len(ids), "new_in_case": len(new_in_case), "links_changed": len(links)}


def _apply_sightings(*, case, rows, evidence, actor) -> dict:
    vehicle, location = EntityKind.VEHICLE, EntityKind.LOCATION
    plates = {(vehicle, r.plate) for r in rows}
    cameras = {(location, text_key(r.camera)): r for r in rows}
    ids = services.ensure_entities(plates | set(cameras))
    labels = {ids[k]: (r.place or r.camera) for k, r in cameras.items()}
    new_in_case = services.ensure_in_case(case=case, entity_ids=list(ids.values()),
                                          actor=actor, evidence=evidence, labels=labels)
    with connection.cursor() as cursor:
        _staged(cursor, "import_sightings", "vehicle_id bigint, camera_id bigint, "
                "seen_at timestamptz, lat double precision, lon double precision, place text")
        services.copy_rows(cursor, "import_sightings",
                           ("vehicle_id", "camera_id", "seen_at", "lat", "lon", "place"),
                           ((ids[(vehicle, r.plate)], ids[(location, text_key(r.camera))],
                             r.seen_at, r.lat, r.lon, r.place) for r in rows))
        cursor.execute("""
            INSERT INTO entities_sighting (case_id, vehicle_id, camera_id, seen_at, lat, lon,
                                           place, evidence_id)
            SELECT %s, vehicle_id, camera_id, seen_at, lat, lon, place, %s
            FROM import_sightings ON CONFLICT DO NOTHING""", [case.pk, evidence.pk])
        added = cursor.rowcount
    links = services.upsert_aggregated_links(
        case=case, kind=LinkKind.SEEN_AT, evidence=evidence,
        sql="""SELECT s.vehicle_id AS source_id, s.camera_id AS target_id, count(*) AS count,
                      min(s.seen_at) AS first_seen, max(s.seen_at) AS last_seen
               FROM entities_sighting s
               JOIN (SELECT DISTINCT vehicle_id, camera_id FROM import_sightings) t
                 ON s.vehicle_id = t.vehicle_id AND s.camera_id = t.camera_id
               WHERE s.case_id = %s GROUP BY 1, 2""",
        params=[case.pk])
    return {"rows": len(rows), "new_records": added, "duplicates": len(rows) - added,
            "vehicles": len(plates), "cameras": len(cameras), "new_in_case": len(new_in_case),
            "links_changed": len(links)}


def run_queued(job_id: int) -> None:
    """Run a queued import (the Celery task's body). Safe to run twice: only a pending job
    is claimed."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING)
    if not claimed:
        return
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    with job.file.open("rb") as handle:
        data = handle.read()
    total = max(data.count(b"\n") - 1, 0)
    ImportJob.objects.filter(pk=job.pk).update(rows_total=total)

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=done)

    try:
        import_now(actor=job.created_by, case_id=job.case_id, kind=job.kind, data=data,
                   name=job.original_name or f"{job.kind}.csv", job=job, progress=progress)
    except csv_import.ImportRefused as refused:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, finished_at=timezone.now(),
            errors=[e.as_dict() for e in refused.errors])
    except Exception as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED, finished_at=timezone.now(),
            errors=[{"row": 0, "column": "", "message": f"import failed: {exc}"}])
        raise
