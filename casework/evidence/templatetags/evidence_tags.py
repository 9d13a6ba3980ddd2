from django import template

from casework.evidence.choices import EvidenceKind

register = template.Library()


@register.simple_tag
def evidence_kinds():
    return EvidenceKind.choices
