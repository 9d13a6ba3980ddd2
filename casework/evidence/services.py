"""Write paths for evidence: add, correct (new version), withdraw, hand over, read.

Every read of an evidence file (view or download) writes an audit row; so does a failed
integrity check, which is reported and never served.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.accounts.models import Unit, User
from casework.core import audit
from casework.core.errors import Conflict, NotFound
from casework.evidence import custody, files
from casework.evidence.choices import EvidenceKind, EvidenceStatus
from casework.evidence.events import custody_payload, evidence_payload
from casework.evidence.models import EvidenceItem
from casework.rooms import events
from casework.rooms.access import get_case_for_user
from casework.rooms.choices import CasePerm


def _holder(user: User) -> str:
    unit = f" ({user.unit.name})" if user.unit_id else ""
    return f"{user.display_name or user.username}{unit}"


def _source_unit(actor: User, unit: Unit | None) -> Unit | None:
    if unit is None:
        return actor.unit
    if actor.unit is None or not unit.path.startswith(actor.unit.bureau_root().path):
        raise ValidationError({"source_unit": [_("The unit is not in your bureau.")]})
    return unit


def do_add_evidence(*, actor: User, case, kind: str, description: str,
                    stored: files.StoredFile | None = None, collected_at=None, lat=None,
                    lon=None, place: str = "", source_unit: Unit | None = None,
                    supersedes: EvidenceItem | None = None, version: int = 1) -> EvidenceItem:
    """Create the item and its first custody entry, audit, and announce it. Runs inside
    the caller's transaction; permission already checked, file already stored."""
    if kind not in EvidenceKind.values:
        raise ValidationError({"kind": [_("Unknown evidence kind.")]})
    if not (description or "").strip():
        raise ValidationError({"description": [_("Describe the evidence.")]})
    if (lat is None) != (lon is None):
        raise ValidationError({"lat": [_("Give both latitude and longitude, or neither.")]})
    item = EvidenceItem(
        case=case, kind=kind, description=description.strip(), collected_by=actor,
        collected_at=collected_at or timezone.now(), lat=lat, lon=lon, place=place,
        source_unit=_source_unit(actor, source_unit), created_by=actor,
        supersedes=supersedes, version=version)
    if stored is not None:
        item.file.name = stored.name
        item.sha256, item.size = stored.sha256, stored.size
        item.content_type, item.original_name = stored.content_type, stored.original_name
    item.full_clean(exclude=["file", "supersedes", "created_by", "collected_by"])
    item.save()
    custody.append(item=item, actor=actor, from_holder="", to_holder=_holder(actor),
                   reason=_("Collected and entered into the case room"))
    audit.record(actor=actor, action="evidence.added", obj=item, case_id=case.pk,
                 detail={"kind": kind, "sha256": item.sha256, "version": version})
    events.emit(case=case, type="evidence.corrected" if supersedes else "evidence.added",
                payload=evidence_payload(item), actor=actor)
    return item


class _StoredUnlessCommitted:
    """Store an upload for the duration of a write; delete it again if the write fails,
    so a refused or rolled-back item leaves no file behind."""

    def __init__(self, upload, case_id: int):
        self.upload, self.case_id, self.stored = upload, case_id, None

    def __enter__(self) -> files.StoredFile | None:
        if self.upload is not None:
            self.stored = files.store(self.upload, case_id=self.case_id)
        return self.stored

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and self.stored is not None:
            from django.core.files.storage import default_storage

            default_storage.delete(self.stored.name)
        return False


def add_evidence(*, actor: User, case_id: int, upload=None, **fields) -> EvidenceItem:
    """A member adds evidence (optionally with a file) to an open room."""
    get_case_for_user(actor, case_id, CasePerm.POST)  # refuse before touching the disk
    with _StoredUnlessCommitted(upload, case_id) as stored, transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        return do_add_evidence(actor=actor, case=case, stored=stored, **fields)


def _locked_item(case, evidence_id) -> EvidenceItem:
    # lock: corrections, withdrawals and hand-overs of one item must not interleave
    item = (EvidenceItem.objects.select_for_update().filter(pk=evidence_id, case=case)
            .first())
    if item is None:
        raise NotFound(_("No such evidence in this room."))
    return item


def correct_evidence(*, actor: User, case_id: int, evidence_id: int, description: str,
                     upload=None, **fields) -> EvidenceItem:
    """A correction: a new version that supersedes the item (which stays, marked). Without
    a new file the correction is of the record, and the same file carries over."""
    get_case_for_user(actor, case_id, CasePerm.POST)
    with _StoredUnlessCommitted(upload, case_id) as stored, transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        old = _locked_item(case, evidence_id)
        if old.status != EvidenceStatus.ACTIVE:
            raise Conflict(_("Only the current version of active evidence can be corrected."))
        old.status = EvidenceStatus.SUPERSEDED
        old.save(update_fields=["status"])
        if stored is None and old.file:
            stored = files.StoredFile(old.file.name, old.sha256, old.size, old.content_type,
                                      old.original_name)
        return do_add_evidence(actor=actor, case=case, kind=fields.pop("kind", old.kind),
                               description=description, stored=stored, supersedes=old,
                               version=old.version + 1, **fields)


def withdraw_evidence(*, actor: User, case_id: int, evidence_id: int,
                      reason: str) -> EvidenceItem:
    """Mark evidence withdrawn, with a reason. Nothing is deleted."""
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Give a reason for the withdrawal.")]})
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        item = _locked_item(case, evidence_id)
        if item.status == EvidenceStatus.WITHDRAWN:
            raise Conflict(_("The evidence is already withdrawn."))
        item.status = EvidenceStatus.WITHDRAWN
        item.withdrawn_reason = reason.strip()
        item.withdrawn_at = timezone.now()
        item.save(update_fields=["status", "withdrawn_reason", "withdrawn_at"])
        audit.record(actor=actor, action="evidence.withdrawn", obj=item, case_id=case.pk,
                     detail={"reason": item.withdrawn_reason})
        events.emit(case=case, type="evidence.withdrawn", payload=evidence_payload(item),
                    actor=actor)
    return item


def transfer_custody(*, actor: User, case_id: int, evidence_id: int, to_holder: str,
                     reason: str):
    """Hand the item over: a new custody entry chained to the last one."""
    if not (to_holder or "").strip() or not (reason or "").strip():
        raise ValidationError({"to_holder": [_("Say to whom and why.")]})
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        item = _locked_item(case, evidence_id)
        last = item.custody.order_by("-seq").first()
        entry = custody.append(item=item, actor=actor,
                               from_holder=last.to_holder if last else "",
                               to_holder=to_holder.strip(), reason=reason.strip())
        audit.record(actor=actor, action="custody.transferred", obj=entry, case_id=case.pk,
                     detail={"evidence_id": item.pk, "to": entry.to_holder})
        events.emit(case=case, type="custody.transferred", payload=custody_payload(entry),
                    actor=actor)
    return entry


def view_evidence(*, actor: User, case_id: int, evidence_id: int) -> EvidenceItem:
    """Read one item's record; the read is audited."""
    with transaction.atomic():
        case = get_case_for_user(actor, case_id)
        item = (EvidenceItem.objects.select_related("collected_by", "source_unit")
                .filter(pk=evidence_id, case=case).first())
        if item is None:
            raise NotFound(_("No such evidence in this room."))
        audit.record(actor=actor, action="evidence.viewed", obj=item, case_id=case.pk)
    return item


def open_evidence_file(*, actor: User, case_id: int, evidence_id: int):
    """The item and an open handle on its file, after checking the file's hash. A
    mismatch is audited and refused (Conflict), never served."""
    case = get_case_for_user(actor, case_id)
    item = EvidenceItem.objects.filter(pk=evidence_id, case=case).first()
    if item is None or not item.file:
        raise NotFound(_("No such evidence file in this room."))
    actual = files.sha256_of_stored(item.file)
    with transaction.atomic():
        if actual != item.sha256:
            audit.record(actor=actor, action="evidence.integrity_failed", obj=item,
                         case_id=case.pk, detail={"expected": item.sha256, "actual": actual})
        else:
            audit.record(actor=actor, action="evidence.downloaded", obj=item, case_id=case.pk,
                         detail={"sha256": actual})
    if actual != item.sha256:
        raise Conflict(_("Integrity check failed: the stored file's SHA-256 is %(actual)s, "
                         "recorded %(expected)s. It is not served; the failure is in the "
                         "audit trail.") % {"actual": actual, "expected": item.sha256})
    return item, item.file.storage.open(item.file.name, "rb")


def verify_room_custody(*, actor: User, case_id: int) -> list[dict]:
    """Check every item's custody chain and file in the room."""
    case = get_case_for_user(actor, case_id)
    reports = [custody.verify_item(item).as_dict()
               for item in EvidenceItem.objects.filter(case=case).order_by("id")]
    with transaction.atomic():
        audit.record(actor=actor, action="custody.verified", object_type="rooms.case",
                     object_id=case.pk, case_id=case.pk,
                     detail={"items": len(reports),
                             "failed": [r["evidence_id"] for r in reports if not r["ok"]]})
    return reports
