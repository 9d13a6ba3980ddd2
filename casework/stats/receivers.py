"""Keep the fact tables in step: every save of a row a figure depends on refreshes that
case's or assignment's fact row in the same transaction, so a figure read after a commit
includes it (an arrest recorded a week late moves last week's figures at once).

Bulk writes that bypass signals (the demo's history, `seed_scale`) call
casework.stats.facts.rebuild() when they finish.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from casework.dispatch.models import Arrest, Assignment, Recovery
from casework.entities.models import CaseEntity
from casework.rooms.models import Case
from casework.stats import facts


def _case_being_deleted(origin) -> bool:
    # a cascade from deleting the case itself: its fact row goes with it
    return isinstance(origin, Case) or getattr(origin, "model", None) is Case


@receiver(post_save, sender=Case)
def _case_saved(sender, instance: Case, **kwargs) -> None:
    facts.refresh_cases([instance.pk])


@receiver(post_save, sender=Arrest)
@receiver(post_save, sender=Recovery)
@receiver(post_save, sender=CaseEntity)
def _case_part_saved(sender, instance, **kwargs) -> None:
    facts.refresh_cases([instance.case_id])


@receiver(post_delete, sender=Arrest)
@receiver(post_delete, sender=Recovery)
@receiver(post_delete, sender=CaseEntity)
def _case_part_deleted(sender, instance, origin=None, **kwargs) -> None:
    if not _case_being_deleted(origin):
        facts.refresh_cases([instance.case_id])


@receiver(post_save, sender=Assignment)
def _assignment_saved(sender, instance: Assignment, **kwargs) -> None:
    facts.refresh_assignments([instance.pk])


# Deleting a case deletes its instructions' assignments first, then sends post_delete for
# each of them, then for the case (django.db.models.deletion.Collector). The unit days
# they touched are collected on the deletion's origin and recomputed once, when the
# origin's own rows go: one statement for a case with a thousand assignments, not one per
# assignment.
_PENDING = "_stats_unit_days"


@receiver(post_delete, sender=Assignment)
def _assignment_deleted(sender, instance: Assignment, origin=None, **kwargs) -> None:
    # its fact row went with it (cascade); the unit's day sums it no more
    pair = (instance.unit_id, facts.day_of(instance.sent_at))
    if _case_being_deleted(origin):
        origin.__dict__.setdefault(_PENDING, set()).add(pair)
    else:
        facts.refresh_unit_days([pair])


@receiver(post_delete, sender=Case)
def _case_deleted(sender, instance: Case, origin=None, **kwargs) -> None:
    pending = origin.__dict__.pop(_PENDING, None) if origin is not None else None
    if pending:
        facts.refresh_unit_days(pending)

