"""The statistics' fact tables: one narrow row per case and per assignment, derived from
the operational rows (casework.stats.facts writes them; nothing else does).

Why facts and not live joins: a figure over a million assignments needs the case's
category, the instruction's drill flag and the alarm's calendar day in Asia/Shanghai on
the row itself, so that one index serves "unit U, days D1–D2" and a whole-bureau table is
one scan of a narrow table. Each row is recomputed from its sources whenever one of them
changes (same transaction), and `manage.py rebuild_stats` recomputes all of them.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from casework.accounts.models import Unit
from casework.dispatch.models import Assignment
from casework.rooms.models import Case


class CaseFact(models.Model):
    """What the statistics know of one case. Drill arrests and recoveries are kept in
    their own columns and never enter the others."""

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE,
                                related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20)
    # the calendar day of the alarm in Asia/Shanghai: the case's period
    day = models.DateField()
    is_open = models.BooleanField()
    reported_at = models.DateTimeField()
    opened_at = models.DateTimeField()
    suspects_identified = models.IntegerField(default=0)
    suspects_arrested = models.IntegerField(default=0)
    first_suspect_at = models.DateTimeField(null=True)
    first_arrest_at = models.DateTimeField(null=True)
    last_arrest_at = models.DateTimeField(null=True)
    # seconds from the alarm, never below 0 (an arrest recorded as before the alarm is
    # counted as at the alarm)
    time_to_lock_s = models.BigIntegerField(null=True)
    time_to_first_arrest_s = models.BigIntegerField(null=True)
    time_to_last_arrest_s = models.BigIntegerField(null=True)
    reported_loss = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    recovered_value = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))
    # min(recovered, reported): what counts towards an aggregate recovery rate
    recovered_capped = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))
    drill_arrests = models.IntegerField(default=0)
    drill_recovered = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal(0))

    class Meta:
        indexes = [models.Index(fields=["unit", "day"], name="casefact_unit_day"),
                   models.Index(fields=["day"], name="casefact_day")]

    def __str__(self) -> str:
        return f"figures of case {self.case_id}"


class AssignmentFact(models.Model):
    """What the statistics know of one assignment."""

    assignment = models.OneToOneField(Assignment, primary_key=True, on_delete=models.CASCADE,
                                      related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    # the calendar day the assignment was sent, Asia/Shanghai
    day = models.DateField()
    sent_at = models.DateTimeField()
    drill = models.BooleanField()
    status = models.CharField(max_length=12)
    result = models.CharField(max_length=12, blank=True)
    cancelled = models.BooleanField()
    # received: every assignment but one the room cancelled before the unit acknowledged
    # it (withdrawn or reassigned: not the unit's to answer)
    counted = models.BooleanField()
    captured = models.BooleanField()
    ack_in_time = models.BooleanField()
    ack_s = models.IntegerField(null=True)
    arrive_s = models.IntegerField(null=True)
    complete_s = models.IntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["unit", "day"], name="assignfact_unit_day"),
                   models.Index(fields=["day"], name="assignfact_day"),
                   models.Index(fields=["case"], name="assignfact_case"),
                   # each unit's times in order, for the per-unit medians and 90th
                   # percentiles by rank (casework.stats.figures, _RANKED_UNITS): the k-th
                   # value is read off the index instead of sorting every unit's times
                   *(models.Index(
                       fields=["unit", column], include=["day"], name=name,
                       condition=Q(**{when: True, "drill": False, f"{column}__isnull": False}))
                     for column, when, name in (("complete_s", "captured", "assignfact_capture"),
                                                ("ack_s", "counted", "assignfact_ack"),
                                                ("arrive_s", "counted", "assignfact_arrive")))]

    def __str__(self) -> str:
        return f"figures of assignment {self.assignment_id}"


class UnitDay(models.Model):
    """AssignmentFact's counts summed per unit, day and drill flag, so that a per-unit
    table over a long period adds up one row per unit and day (~5 assignments each at the
    benchmark's scale) instead of every assignment. Kept by casework.stats.facts in the
    same transaction as the facts it sums."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    drill = models.BooleanField()
    received = models.IntegerField()
    captured = models.IntegerField()
    declined = models.IntegerField()
    cancelled = models.IntegerField()
    acknowledged_in_time = models.IntegerField()
    # how many of each time there are (the ranks of their medians and 90th percentiles)
    n_capture = models.IntegerField()
    n_ack = models.IntegerField()
    n_arrive = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day", "drill"],
                                               name="unitday_key")]

    def __str__(self) -> str:
        return f"unit {self.unit_id} on {self.day}"
