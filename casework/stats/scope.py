"""Whose figures a user may read (DESIGN.md, "read statistics"), and the filters of a
request, as SQL conditions on the fact tables.

- administrators: everything;
- leadership: the cases owned by their unit and the units below it, and those units'
  assignments;
- patrol officers: their own unit's assignments (no case figures);
- investigators: the rooms they may open, and the assignments issued in them.
A filter narrows the scope, never widens it: `unit` outside it yields nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models.expressions import RawSQL

from casework.accounts.choices import OrgRole, UnitKind
from casework.accounts.models import Unit
from casework.accounts.selectors import units_visible_to
from casework.rooms.access import get_case_for_user, visible_cases


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    unit: Unit | None = None          # with its sub-units
    category: str = ""


_SUBTREE = "{table}.unit_id IN (SELECT id FROM accounts_unit WHERE path LIKE %s)"


@dataclass
class Scope:
    # units by a materialised-path prefix (a unit and everything below it), or one unit;
    # both None: every unit. As a semi-join on the units table, not a list of ids: over a
    # million fact rows `unit_id = ANY(<250 ids>)` compares each row with every id.
    unit_prefix: str | None = None
    unit_id: int | None = None
    cases_sql: tuple[str, list] | None = None   # a subquery of case ids, or None: all
    case_figures: bool = True
    label: str = ""

    @property
    def everything(self) -> bool:
        return (self.unit_prefix is None and self.unit_id is None and self.cases_sql is None
                and self.case_figures)

    @property
    def limited_to_units(self) -> bool:
        return self.unit_prefix is not None or self.unit_id is not None

    def where(self, filters: Filters, *, table: str, kind: str) -> tuple[str, list]:
        """The WHERE clause over a fact table (`kind` "case" or "assignment")."""
        sql, params = ["true"], []
        if kind == "case" and not self.case_figures:
            sql.append("false")
        if self.unit_prefix is not None:
            sql.append(_SUBTREE.format(table=table))
            params.append(self.unit_prefix + "%")
        if self.unit_id is not None:
            sql.append(f"{table}.unit_id = %s")
            params.append(self.unit_id)
        if filters.unit is not None:
            sql.append(_SUBTREE.format(table=table))
            params.append(filters.unit.path + "%")
        if self.cases_sql is not None:
            sub, sub_params = self.cases_sql
            sql.append(f"{table}.case_id IN ({sub})")
            params.extend(sub_params)
        if filters.start:
            sql.append(f"{table}.day >= %s")
            params.append(filters.start)
        if filters.end:
            sql.append(f"{table}.day <= %s")
            params.append(filters.end)
        if filters.category:
            if kind == "case":
                sql.append(f"{table}.category = %s")
            else:
                sql.append(f"{table}.case_id IN (SELECT case_id FROM stats_casefact "
                           "WHERE category = %s)")
            params.append(filters.category)
        return " AND ".join(sql), params

    def units_where(self, filters: Filters | None = None) -> tuple[str, list]:
        """A condition on accounts_unit: every unit of the scope (under the filter's unit,
        if any)."""
        sql, params = ["true"], []
        if self.unit_prefix is not None:
            sql.append("accounts_unit.path LIKE %s")
            params.append(self.unit_prefix + "%")
        if self.unit_id is not None:
            sql.append("accounts_unit.id = %s")
            params.append(self.unit_id)
        if filters is not None and filters.unit is not None:
            sql.append("accounts_unit.path LIKE %s")
            params.append(filters.unit.path + "%")
        return " AND ".join(sql), params

    def units_queryset(self, filters: Filters | None = None):
        """Every unit of the scope (under the filter's unit, if any)."""
        where, params = self.units_where(filters)
        return Unit.objects.filter(
            pk__in=RawSQL(f"SELECT id FROM accounts_unit WHERE {where}", params))  # noqa: S611

    def unit_queryset(self):
        """The units whose rows the per-unit table lists."""
        return self.units_queryset().filter(kind=UnitKind.PATROL)


def scope_for(user) -> Scope:
    if user.is_superuser or user.org_role == OrgRole.ADMIN:
        return Scope(label="all")
    if user.org_role == OrgRole.LEADERSHIP and user.unit_id is not None:
        return Scope(unit_prefix=user.unit.path, label="units")
    if user.org_role == OrgRole.PATROL:
        # no unit: an id no unit has, so nothing
        return Scope(unit_id=user.unit_id or 0, case_figures=False, label="own unit")
    query = visible_cases(user).values("pk").query
    sql, params = query.sql_with_params()
    return Scope(cases_sql=(sql, list(params)), label="own rooms")


def dashboard_in_menu(user) -> bool:
    """Whether the menu links to the dashboard: leadership's and administrators' page.
    Anyone signed in may open it and reads their own scope (scope_for); the menu of an
    investigator or a patrol officer is kept to their work."""
    return bool(user.is_authenticated and (
        user.is_superuser or user.org_role in (OrgRole.LEADERSHIP, OrgRole.ADMIN)))


def filter_units(user, scope) -> list[Unit]:
    """The units the user may filter by: county bureaux, brigades and stations of their
    scope (patrol echelons own no cases; a click in the unit table opens theirs)."""
    if scope.limited_to_units:
        qs = scope.units_queryset()
    elif user.unit_id is not None:
        qs = units_visible_to(user)
    else:
        qs = Unit.objects.all()
    return list(qs.exclude(kind=UnitKind.PATROL).order_by("path"))


def root_unit(user, scope) -> Unit | None:
    """The unit whose subtree stands for "all my units" when a drill-down needs one (the
    cases behind a capture rate: those in which units of the scope had assignments)."""
    if user.unit_id is None:
        return None
    return user.unit if scope.limited_to_units else user.unit.bureau_root()


def readable_case(user, case_pk) -> int:
    """The id of a case whose figures the user may read: administrators any case, everyone
    else the rooms they may open (NotFound otherwise, as for a case that does not exist)."""
    if scope_for(user).everything:
        return case_pk
    return get_case_for_user(user, case_pk).pk


def counties(units=None, county_units=None) -> dict[int, Unit]:
    """unit id → the county bureau it belongs to (units above counties map to nothing),
    for `units` (unit objects) or every unit; `county_units`, when the caller has them,
    saves reading them."""
    if county_units is None:
        county_units = list(Unit.objects.filter(kind=UnitKind.COUNTY_BUREAU))
    pairs = ([(u.pk, u.path) for u in units] if units is not None
             else Unit.objects.values_list("pk", "path"))
    out: dict[int, Unit] = {}
    for unit_id, path in pairs:
        for county in county_units:
            if path.startswith(county.path):
                out[unit_id] = county
                break
    return out
