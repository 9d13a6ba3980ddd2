"""Read paths for entities, links and the cross-room search — all need-to-know."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from casework.core.errors import NotFound
from casework.entities.models import CaseEntity, Entity, ImportJob, Link
from casework.entities.normalise import looks_like
from casework.rooms.access import get_case_for_user, visible_cases


def room_entities(user, case_id, *, search: str = "") -> QuerySet[CaseEntity]:
    case = get_case_for_user(user, case_id)
    qs = CaseEntity.objects.filter(case=case).select_related("entity").order_by("id")
    if search:
        qs = qs.filter(Q(entity__key__icontains=search) | Q(label__icontains=search))
    return qs


def room_links(user, case_id) -> QuerySet[Link]:
    case = get_case_for_user(user, case_id)
    return Link.objects.filter(case=case).order_by("id")


def import_job(user, job_id) -> ImportJob:
    """The job, visible exactly when its room is (404 alike otherwise)."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None:
        raise NotFound("no such import")
    get_case_for_user(user, job.case_id)
    return job


def search(user, query: str) -> list[dict]:
    """Entities matching a phone, plate or ID number, with the rooms the user may open and
    only a count of the others. Labels come only from rooms the user may open. A merged
    entity is reported as the one it was merged into, with the rooms of both."""
    candidates = looks_like(query.strip())
    if not candidates:
        return []
    condition = Q()
    for kind, key in candidates:
        condition |= Q(kind=kind, key=key)
    found = list(Entity.objects.filter(condition))
    if not found:
        return []
    canonical_ids = {e.merged_into_id or e.pk for e in found}
    group = list(Entity.objects.filter(Q(pk__in=canonical_ids) |
                                       Q(merged_into__in=canonical_ids)))
    canonical_of = {e.pk: e.merged_into_id or e.pk for e in group}
    out = {e.pk: {"entity": {"id": e.pk, "kind": e.kind, "key": e.key, "label": e.key},
                  "cases": [], "other_cases": 0} for e in group if e.pk in canonical_ids}
    visible = set(visible_cases(user).filter(entities__entity__in=group)
                  .values_list("id", flat=True))
    counted: set[tuple[int, int]] = set()
    rows = (CaseEntity.objects.filter(entity__in=group).select_related("case")
            .order_by("case_id"))
    for ce in rows:
        canonical = canonical_of[ce.entity_id]
        result = out[canonical]
        if (canonical, ce.case_id) in counted:
            continue
        counted.add((canonical, ce.case_id))
        if ce.case_id in visible:
            result["cases"].append({"id": ce.case_id, "number": ce.case.number,
                                    "title": ce.case.title})
            if ce.label and result["entity"]["label"] == result["entity"]["key"]:
                result["entity"]["label"] = ce.label
        else:
            result["other_cases"] += 1
    return list(out.values())


def personalise_series_alert(payload: dict, user) -> dict:
    """A series alert as this user may see it: the other case's number and title only if
    they may open it; otherwise just that another case shares the entity."""
    from casework.entities.models import SeriesAlert

    alert = SeriesAlert.objects.filter(pk=payload.get("id")).first()
    other = alert.other(payload["case_id"]) if alert else None
    case = (visible_cases(user).filter(pk=other).values("id", "number", "title").first()
            if other else None)
    return {**payload, "case": case, "masked": case is None}
