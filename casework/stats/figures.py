"""The figures leadership reads, computed from the fact tables (read-only: nothing here
writes). Definitions: README, "Statistics"; what each fact column holds:
casework.stats.facts.

Rates are percentages rounded to two decimals (None when the denominator is 0). Medians
and 90th percentiles are exact, by nearest rank (PostgreSQL's percentile_disc: the
smallest observed value with at least that share of observations at or below it), in
whole seconds.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.utils import timezone

from casework.accounts.choices import UnitKind
from casework.accounts.models import Unit
from casework.core.errors import NotFound
from casework.stats import colours
from casework.stats.facts import ASSIGNMENT_COUNTS, RANK_COUNTS, count_columns
from casework.stats.scope import Filters, Scope, counties

CF = "stats_casefact"
AF = "stats_assignmentfact"
UD = "stats_unitday"

# the case columns of every case-level aggregate
_CASE_AGG = """
    count(*) AS cases_opened,
    count(*) FILTER (WHERE suspects_arrested > 0) AS cases_with_arrests,
    coalesce(sum(suspects_identified), 0) AS suspects_identified,
    coalesce(sum(suspects_arrested), 0) AS suspects_arrested,
    coalesce(sum(reported_loss), 0) AS reported_loss,
    coalesce(sum(recovered_value), 0) AS recovered_value,
    coalesce(sum(recovered_capped) FILTER (WHERE reported_loss > 0), 0) AS recovered_capped,
    coalesce(sum(reported_loss) FILTER (WHERE reported_loss > 0), 0) AS loss_with_value,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY time_to_first_arrest_s)
        AS median_time_to_arrest_s,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY time_to_lock_s) AS median_time_to_lock_s,
    coalesce(sum(drill_arrests), 0) AS drill_arrests,
    coalesce(sum(drill_recovered), 0) AS drill_recovered
"""

# the assignment columns of every unit-level aggregate (drills filtered by the caller)
_ASSIGNMENT_AGG = count_columns(ASSIGNMENT_COUNTS) + """,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY complete_s) FILTER (WHERE captured)
        AS median_capture_s,
    percentile_disc(0.9) WITHIN GROUP (ORDER BY complete_s) FILTER (WHERE captured)
        AS p90_capture_s,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY ack_s) FILTER (WHERE counted)
        AS median_ack_s,
    percentile_disc(0.5) WITHIN GROUP (ORDER BY arrive_s) FILTER (WHERE counted)
        AS median_arrive_s
"""


# The per-unit table without sorting: the counts summed from UnitDay (a row per unit and
# day instead of one per assignment), and each median and 90th percentile
# read off the unit's index of that time (models.AssignmentFact, assignfact_capture/_ack/
# _arrive) at its nearest rank, ceil(p × n) computed in float8 exactly as percentile_disc
# does, so both give the same value. Reading k entries of an index is far cheaper than
# sorting every unit's times (bench/RESULTS.md, "Statistics queries"); over a short period
# most entries read fall outside it, so there the sorting query is used.
_AT_RANK = """(SELECT r.{column} FROM {AF} r
    WHERE r.unit_id = n.unit_id AND r.{when} AND NOT r.drill AND r.{column} IS NOT NULL
      {period}
    ORDER BY r.{column} OFFSET ceil({p}::float8 * n.{count})::bigint - 1 LIMIT 1)"""
_RANKED_UNITS = """
SELECT n.*, {at_ranks} FROM (
    SELECT unit_id, {counts} FROM {UD} WHERE {where} AND NOT drill GROUP BY unit_id) n"""
# the counts, from the sums per unit and day (models.UnitDay)
_UNIT_DAY_SUMS = ", ".join(
    f"sum({name})::int AS {name}" for name, _ in ASSIGNMENT_COUNTS + RANK_COUNTS)
# (output column, time column, the rows it is over, p, the count of those rows)
_RANKS = (("median_capture_s", "complete_s", "captured", 0.5, "n_capture"),
          ("p90_capture_s", "complete_s", "captured", 0.9, "n_capture"),
          ("median_ack_s", "ack_s", "counted", 0.5, "n_ack"),
          ("median_arrive_s", "arrive_s", "counted", 0.5, "n_arrive"))
# a period shorter than this share of the data on record: sort (the index would be read
# mostly for rows outside it)
RANKED_FROM_SHARE = 0.25
RANKED_FROM_DAYS = 45


def rate(part, whole) -> float | None:
    if not whole:
        return None
    return float(round(Decimal(part) * 100 / Decimal(whole), 2))


class _UnitRow(NamedTuple):
    pk: int
    path: str
    kind: str
    call_sign: str
    name: str
    name_en: str


def _fetch(sql: str, params: list) -> list[dict]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _case_rates(row: dict) -> dict:
    return {
        "case_clearance_rate": rate(row["cases_with_arrests"], row["cases_opened"]),
        "arrest_rate": rate(row["suspects_arrested"], row["suspects_identified"]),
        "recovery_rate": rate(row["recovered_capped"], row["loss_with_value"]),
    }


def _assignment_rates(row: dict) -> dict:
    return {
        "capture_rate": rate(row["captured"], row["received"]),
        "ack_within_deadline_rate": rate(row["acknowledged_in_time"], row["received"]),
    }


def _case_block(row: dict) -> dict:
    out = {k: row[k] for k in (
        "cases_opened", "cases_with_arrests", "suspects_identified", "suspects_arrested",
        "reported_loss", "recovered_value", "median_time_to_arrest_s",
        "median_time_to_lock_s")}
    return {**out, **_case_rates(row)}


def _assignment_block(row: dict) -> dict:
    out = {k: row[k] for k in (
        "received", "captured", "declined", "cancelled", "acknowledged_in_time",
        "median_capture_s", "p90_capture_s", "median_ack_s", "median_arrive_s")}
    return {**out, **_assignment_rates(row)}


def summary(scope: Scope, filters: Filters) -> dict:
    where, params = scope.where(filters, table=CF, kind="case")
    cases = _fetch(f"SELECT {_CASE_AGG} FROM {CF} WHERE {where}", params)[0]
    where, params = scope.where(filters, table=AF, kind="assignment")
    work = _fetch(f"SELECT drill, {_ASSIGNMENT_AGG} FROM {AF} WHERE {where} GROUP BY drill",
                  params)
    by_drill = {r["drill"]: r for r in work}
    empty = {k: 0 for k in ("received", "captured", "declined", "cancelled",
                            "acknowledged_in_time")} | {
        k: None for k in ("median_capture_s", "p90_capture_s", "median_ack_s",
                          "median_arrive_s")}
    real = by_drill.get(False, empty)
    drill = by_drill.get(True, empty)
    return {
        **_case_block(cases), **_assignment_block(real),
        "drills": {
            **{k: drill[k] for k in ("received", "captured", "median_capture_s")},
            **_assignment_rates(drill),
            "arrests": cases["drill_arrests"], "recovered_value": cases["drill_recovered"],
        },
    }


def _unit_rows_sorted(scope: Scope, filters: Filters) -> dict[int, dict]:
    where, params = scope.where(filters, table=AF, kind="assignment")
    return {r["unit_id"]: r for r in _fetch(
        f"SELECT unit_id, {_ASSIGNMENT_AGG} FROM {AF} WHERE {where} AND NOT drill "
        "GROUP BY unit_id", params)}


def _unit_rows_ranked(scope: Scope, filters: Filters) -> dict[int, dict]:
    """As _unit_rows_sorted, for a scope of units (the index holds no case or category)."""
    where, params = scope.where(filters, table=UD, kind="assignment")
    period, period_params = "", []
    for bound, op in ((filters.start, ">="), (filters.end, "<=")):
        if bound is not None:
            period += f" AND r.day {op} %s"
            period_params.append(bound)
    at_ranks = []
    for name, column, when, p, count in _RANKS:
        at_ranks.append(f"CASE WHEN n.{count} > 0 THEN "
                        + _AT_RANK.format(column=column, AF=AF, when=when, period=period,
                                          p=p, count=count) + f" END AS {name}")
    sql = _RANKED_UNITS.format(at_ranks=", ".join(at_ranks), UD=UD, where=where,
                               counts=_UNIT_DAY_SUMS)
    # placeholders in order: the subqueries' periods (select list), then the WHERE
    return {r["unit_id"]: r for r in _fetch(sql, period_params * len(_RANKS) + params)}


def _ranked_pays(scope: Scope, filters: Filters) -> bool:
    """Whether the period spans enough of the days on record for the ranked query (by
    days, not rows: two index probes, where counting the rows would cost a scan)."""
    if scope.cases_sql is not None or filters.category:
        return False
    if filters.start is None and filters.end is None:
        return True
    if filters.start and ((filters.end or timezone.localdate()) - filters.start).days < (
            RANKED_FROM_DAYS):
        return False   # a month or so: sorting it is cheap whatever the record holds
    [row] = _fetch(f"SELECT min(day) AS first, max(day) AS last FROM {AF}", [])
    if row["first"] is None:
        return False
    start = max(filters.start or row["first"], row["first"])
    end = min(filters.end or row["last"], row["last"])
    span = (row["last"] - row["first"]).days + 1
    return (end - start).days + 1 >= RANKED_FROM_SHARE * span


def units(scope: Scope, filters: Filters, *, ordering: str = "") -> list[dict]:
    """One row per patrol unit in scope (and under the `unit` filter), with its figures
    over the period, drills apart; units without assignments have zero rows. `ordering`:
    a figure's name, "-" first for descending; units without that figure come last."""
    rows = (_unit_rows_ranked if _ranked_pays(scope, filters) else _unit_rows_sorted)(
        scope, filters)
    # the listed units and every county bureau (for the units' county names): one query,
    # in SQL (the ORM's compiling of it cost more than running it)
    where, params = scope.units_where(filters)
    found = [_UnitRow(**row) for row in _fetch(
        f"SELECT id AS pk, path, kind, call_sign, name, name_en FROM accounts_unit "
        f"WHERE kind = %s OR (kind = %s AND {where}) ORDER BY path",
        [UnitKind.COUNTY_BUREAU, UnitKind.PATROL, *params])]
    listed = [u for u in found if u.kind == UnitKind.PATROL]
    county_of = counties(listed, [u for u in found if u.kind == UnitKind.COUNTY_BUREAU])
    out = []
    for unit in listed:
        row = rows.get(unit.pk) or {"received": 0, "captured": 0, "declined": 0,
                                    "cancelled": 0, "acknowledged_in_time": 0,
                                    "median_capture_s": None, "p90_capture_s": None,
                                    "median_ack_s": None, "median_arrive_s": None}
        county = county_of.get(unit.pk)
        ratio = colours.unit_ratio(row["median_ack_s"], row["median_capture_s"])
        out.append({
            "unit": {"id": unit.pk, "call_sign": unit.call_sign, "name": unit.name,
                     "name_en": unit.name_en,
                     "county": county and {"id": county.pk, "name": county.name,
                                           "name_en": county.name_en}},
            **_assignment_block(row), "status": colours.colour(ratio),
        })
    if ordering:
        key = ordering.lstrip("-")
        present = [r for r in out if r[key] is not None]
        present.sort(key=lambda r: r[key], reverse=ordering.startswith("-"))
        out = present + [r for r in out if r[key] is None]
    return out


def _days(filters: Filters, found: list[date]) -> list[date]:
    if not found and not (filters.start and filters.end):
        return []
    start = filters.start or min(found)
    end = filters.end or max(found)
    if (end - start).days > 3660:
        start = end - timedelta(days=3660)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def trend(scope: Scope, filters: Filters, *, bucket: str = "day") -> list[dict]:
    """Figures per calendar day (or month), drills apart; every day of the period is
    listed, days without anything with zeros."""
    trunc = "day" if bucket == "day" else "date_trunc('month', day)::date"
    where, params = scope.where(filters, table=CF, kind="case")
    case_rows = {r["period"]: r for r in _fetch(
        f"SELECT {trunc} AS period, {_CASE_AGG} FROM {CF} WHERE {where} GROUP BY 1",
        params)}
    where, params = scope.where(filters, table=AF, kind="assignment")
    work_rows = {r["period"]: r for r in _fetch(
        f"SELECT {trunc} AS period, {_ASSIGNMENT_AGG} FROM {AF} "
        f"WHERE {where} AND NOT drill GROUP BY 1", params)}
    periods = _days(filters, sorted({*case_rows, *work_rows}))
    if bucket == "month":
        periods = sorted({d.replace(day=1) for d in periods})
    out = []
    for period in periods:
        c = case_rows.get(period)
        w = work_rows.get(period)
        out.append({
            "date": period.isoformat(),
            "cases_opened": c["cases_opened"] if c else 0,
            "cases_with_arrests": c["cases_with_arrests"] if c else 0,
            "suspects_arrested": c["suspects_arrested"] if c else 0,
            "recovered_value": c["recovered_value"] if c else Decimal(0),
            "case_clearance_rate": _case_rates(c)["case_clearance_rate"] if c else None,
            "received": w["received"] if w else 0,
            "captured": w["captured"] if w else 0,
            "capture_rate": _assignment_rates(w)["capture_rate"] if w else None,
            "median_capture_s": w["median_capture_s"] if w else None,
        })
    return out


def breakdown(scope: Scope, filters: Filters, *, by: str) -> list[dict]:
    """Case figures per county bureau (`by="county"`) or per category."""
    where, params = scope.where(filters, table=CF, kind="case")
    if by == "category":
        rows = _fetch(f"SELECT category AS key, {_CASE_AGG} FROM {CF} WHERE {where} "
                      "GROUP BY category ORDER BY category", params)
        return [{"category": r["key"], **_case_block(r)} for r in rows]
    county_of = counties()
    mapping = [(unit_id, county.pk) for unit_id, county in county_of.items()]
    if not mapping:
        return []
    values = ", ".join(["(%s, %s)"] * len(mapping))
    flat = [x for pair in mapping for x in pair]
    rows = _fetch(
        f"SELECT m.county_id AS key, {_CASE_AGG} FROM {CF} "
        f"JOIN (VALUES {values}) AS m(unit_id, county_id) ON m.unit_id = {CF}.unit_id "
        f"WHERE {where} GROUP BY m.county_id", flat + params)
    names = {c.pk: c for c in county_of.values()}
    found = {r["key"]: r for r in rows}
    # every county the reader oversees is listed, those without cases with zeros
    if scope.cases_sql is None and scope.case_figures:
        allowed = set(scope.units_queryset(filters).values_list("pk", flat=True))
        zero = _fetch(f"SELECT {_CASE_AGG} FROM {CF} WHERE false", [])[0]
        for county in names.values():
            if county.pk not in found and county.pk in allowed:
                found[county.pk] = zero
    out = [{"county": {"id": key, "name": names[key].name, "name_en": names[key].name_en},
            **_case_block(r)} for key, r in found.items()]
    return sorted(out, key=lambda r: r["county"]["name"])


_CASE_COLUMNS = """
    f.case_id, c.number, c.title, f.category, f.day, f.is_open, f.reported_at,
    f.suspects_identified, f.suspects_arrested, f.time_to_lock_s, f.time_to_first_arrest_s,
    f.time_to_last_arrest_s, f.reported_loss, f.recovered_value, f.unit_id
"""


def case_rows(scope: Scope, filters: Filters, *, which: str = "", assigned_unit: Unit | None
              = None, limit: int = 200) -> tuple[int, list[dict]]:
    """The cases behind a figure (drill-down), newest first: (how many, the first `limit`).

    Case figures: the cases of the period (alarm day), `which` "with_arrests",
    "without_arrests" or "open". Assignment figures (`which` "assigned" or "captured", or
    an `assigned_unit`): the cases in which those units (the `assigned_unit` and below, or
    the filter's, or the scope's) had assignments sent in the period — captured ones only
    for "captured". Either way only cases the reader's scope holds."""
    by_assignment = assigned_unit is not None or which in ("assigned", "captured")
    case_filters = Filters(category=filters.category) if by_assignment else filters
    where, params = scope.where(case_filters, table="f", kind="case")
    if which == "with_arrests":
        where += " AND f.suspects_arrested > 0"
    elif which == "without_arrests":
        where += " AND f.suspects_arrested = 0"
    elif which == "open":
        where += " AND f.is_open"
    if by_assignment:
        work = Filters(start=filters.start, end=filters.end,
                       unit=assigned_unit or filters.unit)
        a_where, a_params = scope.where(work, table="af", kind="assignment")
        captured = " AND af.captured" if which == "captured" else ""
        where += (f" AND f.case_id IN (SELECT af.case_id FROM {AF} af WHERE {a_where} "
                  f"AND NOT af.drill{captured})")
        params += a_params
    total = _fetch(f"SELECT count(*) AS n FROM {CF} f WHERE {where}", params)[0]["n"]
    rows = _fetch(f"SELECT {_CASE_COLUMNS} FROM {CF} f JOIN rooms_case c ON c.id = f.case_id "
                  f"WHERE {where} ORDER BY f.reported_at DESC, f.case_id DESC LIMIT %s",
                  [*params, limit])
    return total, [_case_row(r) for r in rows]


def _case_row(r: dict) -> dict:
    return {
        "case": {"id": r["case_id"], "number": r["number"], "title": r["title"],
                 "url": f"/cases/{r['case_id']}/"},
        "category": r["category"], "day": r["day"].isoformat(), "open": r["is_open"],
        "reported_at": r["reported_at"],
        "suspects_identified": r["suspects_identified"],
        "suspects_arrested": r["suspects_arrested"],
        "time_to_lock_s": r["time_to_lock_s"],
        "time_to_first_arrest_s": r["time_to_first_arrest_s"],
        "time_to_last_arrest_s": r["time_to_last_arrest_s"],
        "reported_loss": r["reported_loss"], "recovered_value": r["recovered_value"],
        "recovery_rate": rate(r["recovered_value"], r["reported_loss"]),
    }


def case_detail(case_id: int) -> dict:
    """One case's figures (the caller has checked the user may open it)."""
    rows = _fetch(f"SELECT {_CASE_COLUMNS} FROM {CF} f JOIN rooms_case c ON c.id = f.case_id "
                  "WHERE f.case_id = %s", [case_id])
    if not rows:
        # only after a bulk load that skipped `rebuild_stats`
        raise NotFound("no figures for this case yet: run `manage.py rebuild_stats`")
    out = _case_row(rows[0])
    work = _fetch(f"SELECT drill, {_ASSIGNMENT_AGG} FROM {AF} WHERE case_id = %s "
                  "GROUP BY drill", [case_id])
    real = next((r for r in work if not r["drill"]), None)
    out["assignments"] = _assignment_block(real) if real else None
    return out


def open_cases(scope: Scope, filters: Filters, *, limit: int = 500) -> list[dict]:
    """Open cases with their four-colour status and position, most urgent first."""
    where, params = scope.where(filters, table="f", kind="case")
    rows = _fetch(
        f"SELECT {_CASE_COLUMNS}, c.lat, c.lon, w.worst_ack_s FROM {CF} f "
        "JOIN rooms_case c ON c.id = f.case_id "
        "LEFT JOIN LATERAL (SELECT max(coalesce(a.ack_s, extract(epoch FROM now() - a.sent_at)"
        f")) AS worst_ack_s FROM {AF} a WHERE a.case_id = f.case_id AND a.counted "
        "AND NOT a.drill) w ON true "
        f"WHERE {where} AND f.is_open ORDER BY f.reported_at LIMIT %s", [*params, limit])
    now = timezone.now()
    out = []
    for r in rows:
        ratio = colours.case_ratio(
            since_alarm_s=(now - r["reported_at"]).total_seconds(),
            first_arrest_s=r["time_to_first_arrest_s"],
            worst_ack_s=None if r["worst_ack_s"] is None else float(r["worst_ack_s"]))
        out.append({**_case_row(r), "lat": r["lat"], "lon": r["lon"],
                    "status": colours.colour(ratio),
                    "ratio": None if ratio is None else round(ratio, 2)})
    out.sort(key=lambda c: -(c["ratio"] or 0))
    return out


def map_points(scope: Scope, filters: Filters) -> dict:
    """What the dashboard's map draws: open cases (with status), the plate sightings of
    those cases in the last 7 days, and the patrol units' last known positions."""
    cases = [c for c in open_cases(scope, filters) if c["lat"] is not None]
    ids = [c["case"]["id"] for c in cases]
    since = timezone.now() - timedelta(days=7)
    sightings = _fetch(
        "SELECT s.case_id, s.lat, s.lon, s.seen_at, s.place FROM entities_sighting s "
        "WHERE s.case_id = ANY(%s) AND s.seen_at >= %s ORDER BY s.seen_at DESC LIMIT 2000",
        [ids, since]) if ids else []
    listed = scope.unit_queryset().filter(lat__isnull=False)
    if filters.unit is not None:
        listed = listed.filter(path__startswith=filters.unit.path)
    units_at = [{"id": u.pk, "call_sign": u.call_sign, "status": u.status, "lat": u.lat,
                 "lon": u.lon, "position_at": u.position_at}
                for u in listed.order_by("path")[:2000]]
    return {"cases": [{"id": c["case"]["id"], "number": c["case"]["number"],
                       "title": c["case"]["title"], "lat": c["lat"], "lon": c["lon"],
                       "status": c["status"]} for c in cases],
            "sightings": sightings, "units": units_at}
