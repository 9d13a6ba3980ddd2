"""The four-colour status (green / yellow / orange / red) of Zhangzhou's early-warning
model: how far a unit's or an open case's times are over their targets.

ratio = actual time / target; green up to the first band (on target), then yellow,
orange, red beyond the last. Targets and bands are settings (STATS_TARGETS), so a bureau
sets its own; a unit or case with nothing to measure has no colour ("none").
"""

from __future__ import annotations

from django.conf import settings

COLOURS = ("green", "yellow", "orange", "red")


def targets() -> dict:
    return settings.STATS_TARGETS


def colour(ratio: float | None) -> str:
    if ratio is None:
        return "none"
    for name, bound in zip(COLOURS, targets()["bands"], strict=False):
        if ratio <= bound:
            return name
    return "red"


def worst(*ratios: float | None) -> float | None:
    known = [r for r in ratios if r is not None]
    return max(known) if known else None


def unit_ratio(median_ack_s, median_capture_s) -> float | None:
    t = targets()
    return worst(None if median_ack_s is None else median_ack_s / t["ack_s"],
                 None if median_capture_s is None else median_capture_s / t["capture_s"])


def case_ratio(*, since_alarm_s: float, first_arrest_s, worst_ack_s) -> float:
    """An open case: time to its first arrest (or, with none yet, time since the alarm)
    against the arrest target, and its slowest acknowledgement (or wait for one) against
    the acknowledgement target."""
    t = targets()
    arrest = (first_arrest_s if first_arrest_s is not None else since_alarm_s) / t["arrest_s"]
    ack = None if worst_ack_s is None else worst_ack_s / t["ack_s"]
    return worst(arrest, ack)
