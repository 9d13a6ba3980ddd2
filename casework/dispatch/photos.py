"""Photos from the field: a patrol officer adds a photo to the case of their unit's
assignment. An officer is no room member (no POST permission in the room), so this is the
assignment-scoped way in; the writes are the evidence app's own (item with SHA-256, first
custody entry, audit row, room event), through its helpers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from casework.accounts.models import User
from casework.core.errors import Conflict, NotFound, NotPermitted
from casework.dispatch import idempotency
from casework.dispatch.models import Assignment
from casework.dispatch.selectors import is_officer_of
from casework.evidence.choices import EvidenceKind
from casework.evidence.models import EvidenceItem
from casework.evidence.services import _StoredUnlessCommitted, do_add_evidence
from casework.rooms.access import get_case_for_user


def _assignment_of(actor: User, assignment_id: int) -> Assignment:
    """The actor's unit's assignment in an open room. Others who may open the room get
    403 (members add photos through the room's evidence); everyone else, 404."""
    a = (Assignment.objects.select_related("instruction__case", "unit")
         .filter(pk=assignment_id).first())
    if a is None:
        raise NotFound(_("No such assignment."))
    if not is_officer_of(actor, a.unit_id):
        get_case_for_user(actor, a.instruction.case_id)  # NotFound for whoever may not open it
        raise NotPermitted(_("Only the unit's officers add photos under its assignments."))
    if not a.instruction.case.is_open:
        raise Conflict(_("The case is closed: its room is read-only."))
    return a


class _Replay(Exception):
    """Leave the write (the file just stored is deleted again) and answer with the first."""

    def __init__(self, item_id: int) -> None:
        self.item_id = item_id


def add_assignment_photo(*, actor: User, assignment_id: int, upload, description: str = "",
                         lat=None, lon=None, place: str = "",
                         idempotency_key: str | None = None) -> EvidenceItem:
    """A patrol officer adds a photo (evidence of kind `photo`) to the case under their
    unit's assignment. With an `idempotency_key`, a replay returns the first item (marked
    `replayed`) instead of adding the photo twice."""
    idempotency_key = idempotency.clean_key(idempotency_key)
    if upload is None:
        raise ValidationError({"file": [_("Choose a photo.")]})
    a = _assignment_of(actor, assignment_id)  # refuse before touching the disk
    case_id = a.instruction.case_id
    try:
        with _StoredUnlessCommitted(upload, case_id) as stored, transaction.atomic():
            a = _assignment_of(actor, assignment_id)
            claim = idempotency.claim(actor=actor, key=idempotency_key, action="photo",
                                      asked=idempotency.fingerprint(
                                          assignment=assignment_id, sha256=stored.sha256,
                                          description=description, lat=lat, lon=lon,
                                          place=place))
            if claim.replayed_id is not None:
                raise _Replay(claim.replayed_id)
            if not stored.content_type.startswith("image/"):
                raise ValidationError({"file": [_("A photo must be an image.")]})
            text = (description or "").strip() or (
                _("Photo from unit %(call_sign)s (assignment #%(id)s)")
                % {"call_sign": a.unit.call_sign or a.unit.name, "id": a.pk})
            item = do_add_evidence(actor=actor, case=a.instruction.case,
                                   kind=EvidenceKind.PHOTO, description=text[:4000],
                                   stored=stored, lat=lat, lon=lon,
                                   place=(place or "")[:200])
            claim.settle(item.pk)
            return item
    except _Replay as replay:
        replayed_id = replay.item_id
    return idempotency.replayed(EvidenceItem, replayed_id)
