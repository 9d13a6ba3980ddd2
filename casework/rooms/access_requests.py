"""Access requests from masked link-analysis results, and the lead's grant or refusal.

A masked result (a linked case the user may not open) carries an opaque token: the room's
id and the user's shared entities, encrypted and authenticated (Fernet, key derived from
SECRET_KEY), so the requester cannot read which room it is, and cannot forge one for
another room or hand theirs to a colleague. Redeeming it files a request to that room's
leads; the lead grants it for a limited time or refuses; both are audited and shown in the
room. While a grant lasts, the choke point lets the requester see and analyse the room.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.core import audit
from casework.core.errors import Conflict, NotFound
from casework.rooms import events
from casework.rooms.access import get_case_for_user, visible_cases
from casework.rooms.choices import AccessRequestStatus, CasePerm
from casework.rooms.models import AccessRequest, Case

TOKEN_TTL_S = 7 * 24 * 3600
MAX_GRANT_HOURS = 30 * 24
DEFAULT_GRANT_HOURS = 24


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"casework.access-request:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def issue_token(*, user, case_id: int, from_case_id: int | None,
                entity_ids: list[int]) -> str:
    """An opaque token for `user` to ask for `case_id` (the room they may not open)."""
    body = {"u": user.pk, "c": case_id, "f": from_case_id, "e": sorted(set(entity_ids))[:20]}
    return _fernet().encrypt(json.dumps(body, separators=(",", ":")).encode()).decode()


def _read_token(token: str, user) -> dict:
    try:
        body = json.loads(_fernet().decrypt(str(token).encode(), ttl=TOKEN_TTL_S))
    except (InvalidToken, ValueError, TypeError):
        raise ValidationError({"token": [_("This access request link is invalid or has "
                                           "expired; run the analysis again.")]}) from None
    if body.get("u") != user.pk:
        raise ValidationError({"token": [_("This access request link was issued to "
                                           "someone else.")]})
    return body


def _requester_ref(request: AccessRequest) -> dict:
    user = request.requester
    return {**events.user_ref(user), "unit": user.unit.name if user.unit_id else ""}


def request_payload(request: AccessRequest) -> dict:
    """What the room's members see of a request (the requester is no secret to them)."""
    from casework.entities.models import Entity

    shared = list(Entity.objects.filter(pk__in=request.shared_entities)
                  .values("id", "kind", "key"))
    return {"id": request.pk, "requester": _requester_ref(request),
            "reason": request.reason, "status": request.status, "shared": shared,
            "expires_at": request.expires_at.isoformat() if request.expires_at else None}


def request_access(*, actor, token: str, reason: str = "") -> tuple[AccessRequest, bool]:
    """File (or find) the actor's pending request for the room behind `token`.
    Returns (request, created)."""
    body = _read_token(token, actor)
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        case = Case.objects.filter(pk=body["c"]).first()
        if case is None:
            raise ValidationError({"token": [_("That case no longer exists.")]})
        if visible_cases(actor).filter(pk=case.pk).exists():
            raise Conflict(_("You may already open this room."))
        existing = AccessRequest.objects.filter(
            case=case, requester=actor, status=AccessRequestStatus.PENDING).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                request = AccessRequest.objects.create(
                    case=case, requester=actor, from_case_id=body.get("f"),
                    shared_entities=body.get("e") or [], reason=reason)
        except IntegrityError:  # a concurrent identical request won
            return AccessRequest.objects.get(case=case, requester=actor,
                                             status=AccessRequestStatus.PENDING), False
        audit.record(actor=actor, action="access.requested", obj=request, case_id=case.pk,
                     detail={"from_case": body.get("f"), "shared": request.shared_entities})
        events.emit(case=case, type="access.requested", payload=request_payload(request),
                    actor=actor)
    return request, True


def decide(*, actor, request_id: int, grant: bool,
           hours: int = DEFAULT_GRANT_HOURS) -> AccessRequest:
    """The room's lead grants (for `hours`) or refuses a pending request."""
    if grant and not 1 <= int(hours) <= MAX_GRANT_HOURS:
        raise ValidationError({"hours": [_("Grant access for 1 to %(max)d hours.")
                                         % {"max": MAX_GRANT_HOURS}]})
    with transaction.atomic():
        request = (AccessRequest.objects.select_for_update(of=("self",))
                   .select_related("requester__unit")
                   .filter(pk=request_id).first())
        if request is None:
            raise NotFound(_("No such access request."))
        # 404 unless the actor may open the room; 403 unless they lead it
        case = get_case_for_user(actor, request.case_id, CasePerm.MANAGE_MEMBERS)
        if request.status != AccessRequestStatus.PENDING:
            raise Conflict(_("This request was already decided."))
        now = timezone.now()
        request.status = AccessRequestStatus.GRANTED if grant else AccessRequestStatus.REFUSED
        request.decided_by, request.decided_at = actor, now
        request.expires_at = now + timedelta(hours=int(hours)) if grant else None
        request.save(update_fields=["status", "decided_by", "decided_at", "expires_at"])
        action = "access.granted" if grant else "access.refused"
        audit.record(actor=actor, action=action, obj=request, case_id=case.pk,
                     detail={"requester": request.requester_id,
                             "expires_at": request.expires_at.isoformat()
                             if request.expires_at else None})
        events.emit(case=case, type=action, payload=request_payload(request), actor=actor)
    return request


def requests_for(user) -> dict:
    """The user's own requests (the room named only once granted) and those waiting for
    the user's decision as a lead."""
    from casework.rooms.models import Membership

    mine = []
    for r in AccessRequest.objects.filter(requester=user).select_related("case")[:200]:
        active = (r.status == AccessRequestStatus.GRANTED and r.expires_at
                  and r.expires_at > timezone.now())
        mine.append({"id": r.pk, "status": r.status, "reason": r.reason,
                     "created_at": r.created_at.isoformat(),
                     "expires_at": r.expires_at.isoformat() if r.expires_at else None,
                     "case": {"id": r.case_id, "number": r.case.number,
                              "title": r.case.title} if active else None})
    led = Membership.objects.filter(user=user, role="lead").values("case_id")
    to_decide = [{**request_payload(r), "case": {"id": r.case_id, "number": r.case.number}}
                 for r in AccessRequest.objects.filter(case_id__in=led,
                                                       status=AccessRequestStatus.PENDING)
                 .select_related("case", "requester__unit")[:200]]
    return {"mine": mine, "to_decide": to_decide}
