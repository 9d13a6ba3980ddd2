from django import template

from casework.entities.choices import EntityKind, ImportKind, LinkKind, PersonRole

register = template.Library()


@register.simple_tag
def entity_kinds():
    return EntityKind.choices


@register.simple_tag
def person_roles():
    return PersonRole.choices


@register.simple_tag
def import_kinds():
    return ImportKind.choices


@register.simple_tag
def link_kinds():
    return LinkKind.choices
