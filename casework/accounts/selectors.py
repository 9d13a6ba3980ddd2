"""Read paths of the organisation."""

from __future__ import annotations

from django.db.models import QuerySet

from casework.accounts.models import Unit


def units_visible_to(user) -> QuerySet[Unit]:
    """Every unit of the user's bureau tree (the city bureau and everything below it)."""
    if not user.is_authenticated or user.unit_id is None:
        return Unit.objects.none()
    root = user.unit.bureau_root()
    return Unit.objects.filter(path__startswith=root.path).order_by("path")


def users_visible_to(user):
    """Active people of the user's bureau tree, for picking room members."""
    from casework.accounts.models import User

    if not user.is_authenticated or user.unit_id is None:
        return User.objects.none()
    root = user.unit.bureau_root()
    return (User.objects.filter(is_active=True, unit__path__startswith=root.path)
            .select_related("unit").order_by("username"))
