"""Labels of the dispatch choices for the room page's script (statuses, kinds…)."""

from django import template

from casework.accounts.choices import UnitStatus
from casework.dispatch.choices import (
    AssignmentResult,
    AssignmentStatus,
    InstructionKind,
    Priority,
)

register = template.Library()


@register.simple_tag
def instruction_kinds():
    return InstructionKind.choices


@register.simple_tag
def priorities():
    return Priority.choices


@register.simple_tag
def dispatch_labels():
    """Every label the instruction cards show, by value (json_script'ed for the script)."""
    return {
        "status": dict(AssignmentStatus.choices),
        "result": dict(AssignmentResult.choices),
        "kind": dict(InstructionKind.choices),
        "priority": dict(Priority.choices),
        "unit_status": dict(UnitStatus.choices),
    }
