"""Automatic series alerts: when an entity enters a room and the same entity (same
normalised key, merged ones included) is already in another room, both rooms are told,
once per pair of cases.

The stored event names only the shared entity, which both rooms hold; the room consumer
adds the other case's number and title for each member who may open it, and "another
case" for the rest (casework.entities.selectors.personalise_series_alert).
An entity in more than SERIES_HUB_CAP other cases (a parcel locker's phone) raises no alert.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction

from casework.entities.models import Entity, SeriesAlert
from casework.rooms import events
from casework.rooms.models import Case

ALERT_KINDS = ("person", "phone", "vehicle", "bank_account")

SHARED_SQL = """
    WITH mine AS (
        SELECT DISTINCT COALESCE(e.merged_into_id, e.id) AS eid
        FROM entities_entity e WHERE e.id = ANY(%(ids)s) AND e.kind = ANY(%(kinds)s)),
    shared AS (
        SELECT m.eid, ce.case_id
        FROM mine m
        JOIN entities_entity e ON COALESCE(e.merged_into_id, e.id) = m.eid
        JOIN entities_caseentity ce ON ce.entity_id = e.id),
    counted AS (
        SELECT eid, count(DISTINCT case_id) AS n FROM shared GROUP BY eid)
    SELECT s.case_id, min(s.eid) AS eid
    FROM shared s JOIN counted c USING (eid)
    WHERE s.case_id <> %(case)s AND c.n <= %(cap)s + 1
    GROUP BY s.case_id
"""


def detect(case_id: int, entity_ids: list[int]) -> int:
    """Alert for every other case sharing one of `entity_ids` with `case_id` that was not
    alerted before. Returns the number of new alerts."""
    with connection.cursor() as cursor:
        cursor.execute(SHARED_SQL, {"ids": list(entity_ids), "kinds": list(ALERT_KINDS),
                                    "case": case_id, "cap": settings.SERIES_HUB_CAP})
        pairs = cursor.fetchall()
    made = 0
    for other_id, entity_id in pairs:
        low, high = sorted((case_id, other_id))
        with transaction.atomic():
            alert, created = SeriesAlert.objects.get_or_create(
                case_low_id=low, case_high_id=high, defaults={"entity_id": entity_id})
            if not created:
                continue
            made += 1
            entity = Entity.objects.get(pk=entity_id)
            payload = {"id": alert.pk,
                       "entity": {"id": entity.pk, "kind": entity.kind, "key": entity.key}}
            for case in Case.objects.filter(pk__in=[low, high]):
                events.emit(case=case, type="series.alert", payload=payload)
    return made
