"""The leadership dashboard page (`/dashboard/`). The page holds no figures itself: its
script (static/js/dashboard.js) reads them from the statistics API with the user's session,
so every panel shows exactly what the API lets this user read (scope.py). The view only
renders the frame: the filters' starting values, the units the user may filter by, the
four-colour thresholds for the legend and the script's text in the page's language."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from casework.accounts.models import Unit
from casework.rooms.choices import Category
from casework.stats import colours
from casework.stats.scope import filter_units, root_unit, scope_for

DEFAULT_DAYS = 30

# What the script says (tiles, tables, charts, the drill-down), in the page's language.
# `{x}` placeholders are filled in by the script.
DASHBOARD_TEXT = {
    "loading": _("Loading…"),
    "failed": _("Could not load: {error}"),
    "no_data": _("Nothing in this period."),
    "percent": _("{v} %"),
    "dur_s": _("{s} s"),
    "dur_m": _("{m} min"),
    "dur_ms": _("{m} min {s} s"),
    "dur_h": _("{h} h"),
    "dur_hm": _("{h} h {m} min"),
    "dur_dh": _("{d} d {h} h"),
    "of_cases": _("{part} of {whole} cases"),
    "of_suspects": _("{part} of {whole} suspects"),
    "with_arrests_n": _("{n} with arrests"),
    "of_loss": _("of {loss} reported loss"),
    "of_assignments": _("{part} of {whole} assignments"),
    "p90": _("9 in 10 within {t}"),
    "acked_in_time": _("{part} of {whole} in time"),
    "drills": _("Drills, counted apart: {received} assignments, {arrests} arrests"),
    "cases_opened": _("Cases opened"),
    "cases_with_arrests": _("Cases with arrests"),
    "captured": _("Captures"),
    "clearance_rate": _("Case clearance rate"),
    "arrest_rate": _("Arrest rate"),
    "drill_assigned": _("Cases in which {unit} received instructions"),
    "drill_day": _("Cases opened on {day}"),
    "drill_count": _("{count} cases"),
    "drill_shown": _("{count} cases, the newest {shown} shown"),
    "drill_none": _("No cases you may open match."),
    "all_units": _("all units in your scope"),
    "open_status": _("open"),
    "closed_status": _("closed"),
    "show_all": _("Show all {n}"),
    "show_fewer": _("Show fewer"),
    "since_alarm": _("{t} since the alarm"),
    "first_arrest_after": _("first arrest after {t}"),
    "count_in": _("{n} open cases and sightings"),
    "sighting": _("Sighting"),
    "unit_pin": _("Patrol unit"),
    "position_at": _("position at {t}"),
    "status_green": _("green"),
    "status_yellow": _("yellow"),
    "status_orange": _("orange"),
    "status_red": _("red"),
    "status_none": _("nothing to measure"),
    "sort_hint": _("Sort by {column}"),
}


def _duration(seconds: int) -> str:
    """The legend's targets in words ("1 h 36 min"), as the script writes durations."""
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    if h >= 48:
        return str(DASHBOARD_TEXT["dur_dh"]).format(d=h // 24, h=h % 24)
    if h:
        return str(DASHBOARD_TEXT["dur_hm" if m else "dur_h"]).format(h=h, m=m)
    if m:
        return str(DASHBOARD_TEXT["dur_ms" if s else "dur_m"]).format(m=m, s=s)
    return str(DASHBOARD_TEXT["dur_s"]).format(s=s)


def _unit_label(unit: Unit, english: bool) -> str:
    return (unit.name_en or unit.name) if english else unit.name


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _legend() -> dict:
    t = colours.targets()
    bands = t["bands"]
    return {
        "ack": _duration(t["ack_s"]), "capture": _duration(t["capture_s"]),
        "arrest": _duration(t["arrest_s"]),
        # the bands as multiples of the target ("1.5×")
        "bands": [f"{b:g}" for b in bands],
    }


@login_required
@require_GET
def dashboard(request):
    """The dashboard frame. Starting filters come from the query string (so that a
    filtered view can be bookmarked or shared); the default is the last 30 days."""
    user = request.user
    scope = scope_for(user)
    english = translation.get_language() == "en"
    today = timezone.localdate()
    end = _date(request.GET.get("to")) or today
    start = _date(request.GET.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    units = filter_units(user, scope)
    top = min((u.depth for u in units), default=1)
    # indented by depth: a select cannot nest deeper than one optgroup
    options = [{"id": u.pk, "label": _unit_label(u, english),
                "prefix": "\u3000" * (u.depth - top), "kind": u.kind} for u in units]
    selected = request.GET.get("unit", "")
    if not any(str(o["id"]) == selected for o in options):
        selected = ""
    category = request.GET.get("category", "")
    if category not in Category.values:
        category = ""
    root = root_unit(user, scope)
    return render(request, "stats/dashboard.html", {
        "start": start, "end": end, "today": today,
        "unit_options": options, "selected_unit": selected,
        "categories": Category.choices, "selected_category": category,
        "scope_label": _scope_label(scope, root, english),
        "root_unit": root.pk if root else "",
        "case_figures": scope.case_figures,
        "legend": _legend(),
        "map_tile_url": settings.MAP_TILE_URL,
        "dashboard_text": {k: str(v) for k, v in DASHBOARD_TEXT.items()},
        "category_labels": {k: str(v) for k, v in Category.choices},
    })


def _scope_label(scope, root: Unit | None, english: bool) -> str:
    if scope.label == "all":
        return str(_("All units and cases"))
    if scope.label == "units" and root is not None:
        return str(_("%(unit)s and the units below it")) % {"unit": _unit_label(root, english)}
    if scope.label == "own unit":
        return str(_("Your unit's instructions"))
    return str(_("The case rooms you may open"))
