"""Statistics: each definition (README, "Statistics") against hand-computed examples, the
fact tables against raw rows on randomised data, and who reads which figures."""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median_low

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.accounts.choices import OrgRole, PatrolKind, UnitKind
from casework.accounts.models import Unit
from casework.dispatch import services as dispatch
from casework.dispatch.models import Arrest, Assignment, Instruction, Recovery
from casework.entities.models import CaseEntity, Entity
from casework.rooms.models import Case
from casework.stats import facts, figures
from casework.stats.models import AssignmentFact, CaseFact, UnitDay
from casework.stats.scope import Filters, Scope
from tests.factories import SH, make_user

_n = itertools.count(1)
ALARM = datetime(2025, 3, 10, 4, 43, tzinfo=SH)


def _county(city: Unit, name: str = "") -> tuple[Unit, list[Unit]]:
    county = Unit.objects.add_child(Unit.objects.get(pk=city.pk), {
        "name": name or f"统计县{next(_n)}", "kind": UnitKind.COUNTY_BUREAU})
    patrols = [Unit.objects.add_child(Unit.objects.get(pk=county.pk), dict(
        name=f"巡逻组{i}", kind=UnitKind.PATROL, call_sign=f"S{next(_n)}",
        patrol_kind=PatrolKind.CAR)) for i in range(2)]
    return Unit.objects.get(pk=county.pk), patrols


def _case(unit: Unit, *, alarm=ALARM, loss="1000.00", opened=None, category="theft") -> Case:
    return Case.objects.create(number=f"STAT-{next(_n)}", title="统计案", category=category,
                               owning_unit=unit, reported_at=alarm,
                               opened_at=opened or alarm + timedelta(minutes=10),
                               reported_loss=Decimal(loss))


def _suspect(case: Case, at) -> Entity:
    person = Entity.objects.create(kind="person", key=f"p-{next(_n)}")
    CaseEntity.objects.create(case=case, entity=person, role="suspect", suspect_since=at)
    return person


def _arrest(case: Case, at, person=None, *, drill=False, name="") -> Arrest:
    return Arrest.objects.create(case=case, person=person, name=name or "某人", arrested_at=at,
                                 drill=drill)


def _assignment(case: Case, unit: Unit, *, sent, ack=None, on_scene=None, done=None,
                status="completed", result="captured", drill=False, deadline_s=60,
                replaces=None) -> Assignment:
    instruction = Instruction.objects.create(case=case, kind="capture", text="抓捕",
                                             drill=drill, ack_deadline_s=deadline_s,
                                             issued_at=sent)
    return Assignment.objects.create(
        instruction=instruction, unit=unit, status=status,
        result=result if status == "completed" else "", sent_at=sent,
        ack_deadline_at=sent + timedelta(seconds=deadline_s), acknowledged_at=ack,
        on_scene_at=on_scene, completed_at=done if status == "completed" else None,
        declined_at=done if status == "declined" else None,
        cancelled_at=done if status == "cancelled" else None, replaces=replaces)


@pytest.fixture
def admin_api(api, org):
    admin = make_user("stats_admin", org.city, OrgRole.ADMIN)
    api.force_authenticate(admin)
    return api


def _summary(api, **params) -> dict:
    r = api.get("/api/stats/summary/", params)
    assert r.status_code == 200, r.content
    return r.json()


# ---- definitions against hand-computed examples ------------------------------------------

def test_case_times_rates_and_the_arrest_before_the_case_was_opened(admin_api, org):
    county, _ = _county(org.city)
    # opened in the system at 09:00, five hours after the alarm; the first arrest (06:10)
    # came before that and still counts from the alarm
    case = _case(county, loss="10000.00", opened=ALARM + timedelta(hours=5))
    a, b, c = (_suspect(case, ALARM + timedelta(hours=h)) for h in (3, 4, 8))
    _arrest(case, ALARM + timedelta(hours=1, minutes=27), a)
    _arrest(case, ALARM + timedelta(hours=13, minutes=47), b)
    _arrest(case, ALARM + timedelta(hours=20), name="同伙（未登记）")  # by name: one more person
    Recovery.objects.create(case=case, items="手机", value=Decimal("7823.00"),
                            recovered_at=ALARM + timedelta(hours=14))
    body = admin_api.get(f"/api/stats/cases/{case.pk}/").json()
    assert body["time_to_lock_s"] == 3 * 3600
    assert body["time_to_first_arrest_s"] == 3600 + 27 * 60
    assert body["time_to_last_arrest_s"] == 20 * 3600
    assert body["suspects_identified"] == 4     # a, b, c and the one arrested by name
    assert body["suspects_arrested"] == 3
    assert body["recovery_rate"] == 78.23
    summary = _summary(admin_api, unit=county.pk)
    assert summary["arrest_rate"] == 75.0
    assert summary["case_clearance_rate"] == 100.0
    assert summary["recovery_rate"] == 78.23
    assert summary["median_time_to_arrest_s"] == 3600 + 27 * 60
    # README's worked example goes on: two more cases in the county
    _case(county, loss="5000.00")                                   # no arrest
    over = _case(county, loss="1000.00")
    Recovery.objects.create(case=over, items="现金", value=Decimal("1500.00"))
    county_figures = _summary(admin_api, unit=county.pk)
    assert county_figures["case_clearance_rate"] == 33.33
    assert county_figures["recovery_rate"] == 55.14
    assert Decimal(str(county_figures["recovered_value"])) == Decimal("9323")
    del c


def test_no_arrests_and_recovery_above_the_loss(admin_api, org):
    county, _ = _county(org.city)
    none = _case(county, loss="5000.00")
    _suspect(none, ALARM + timedelta(hours=1))
    over = _case(county, loss="1000.00")
    Recovery.objects.create(case=over, items="现金", value=Decimal("1500.00"))
    body = admin_api.get(f"/api/stats/cases/{none.pk}/").json()
    assert body["time_to_first_arrest_s"] is None and body["time_to_last_arrest_s"] is None
    assert body["suspects_arrested"] == 0 and body["recovery_rate"] == 0.0
    assert admin_api.get(f"/api/stats/cases/{over.pk}/").json()["recovery_rate"] == 150.0
    s = _summary(admin_api, unit=county.pk)
    assert (s["cases_opened"], s["cases_with_arrests"], s["case_clearance_rate"]) == (2, 0, 0.0)
    assert s["arrest_rate"] == 0.0 and s["median_time_to_arrest_s"] is None
    # one case's windfall does not hide another's loss: 1000 of 6000, not 1500 of 6000
    assert s["recovery_rate"] == 16.67
    assert Decimal(str(s["recovered_value"])) == Decimal("1500")


def test_declined_reassigned_and_drill_assignments(admin_api, org):
    county, (u1, u2) = _county(org.city)
    case = _case(county)
    t = ALARM + timedelta(hours=1)
    declined = _assignment(case, u1, sent=t, status="declined", done=t + timedelta(seconds=30))
    # reassigned: the room cancels u1's second one before it is acknowledged (not u1's to
    # answer) and sends u2, who captures in 1 h 36 min
    cancelled = _assignment(case, u1, sent=t, status="cancelled", done=t + timedelta(minutes=2))
    _assignment(case, u2, sent=t + timedelta(minutes=2), ack=t + timedelta(minutes=2, seconds=40),
                on_scene=t + timedelta(minutes=30), done=t + timedelta(minutes=98),
                replaces=cancelled)
    _assignment(case, u2, sent=t, ack=t + timedelta(seconds=90), status="completed",
                result="not_found", done=t + timedelta(hours=2))
    # a drill: counted apart
    _assignment(case, u1, sent=t, ack=t + timedelta(seconds=5), done=t + timedelta(minutes=10),
                drill=True)
    _arrest(case, t + timedelta(hours=1), drill=True, name="演练对象")
    Recovery.objects.create(case=case, items="演练", value=Decimal("99.00"), drill=True)
    rows = {r["unit"]["id"]: r for r in
            admin_api.get("/api/stats/units/", {"unit": county.pk}).json()["results"]}
    assert rows[u1.pk]["received"] == 1 and rows[u1.pk]["declined"] == 1
    assert rows[u1.pk]["cancelled"] == 1 and rows[u1.pk]["capture_rate"] == 0.0
    assert rows[u1.pk]["ack_within_deadline_rate"] == 0.0
    assert rows[u2.pk]["received"] == 2 and rows[u2.pk]["captured"] == 1
    assert rows[u2.pk]["capture_rate"] == 50.0
    assert rows[u2.pk]["median_capture_s"] == 96 * 60
    assert rows[u2.pk]["ack_within_deadline_rate"] == 50.0   # 40 s in time, 90 s late
    s = _summary(admin_api, unit=county.pk)
    assert (s["received"], s["captured"], s["suspects_arrested"]) == (3, 1, 0)
    assert Decimal(str(s["recovered_value"])) == 0
    assert s["drills"]["received"] == 1 and s["drills"]["captured"] == 1
    assert s["drills"]["arrests"] == 1 and Decimal(str(s["drills"]["recovered_value"])) == 99
    assert declined.pk
    # drill-down behind u2's captures: by the day the assignment was sent
    sent_day = t.astimezone(SH).date()
    behind = admin_api.get("/api/stats/cases/", {"assigned_unit": u2.pk, "which": "captured",
                                                 "from": sent_day, "to": sent_day}).json()
    assert [r["case"]["id"] for r in behind["results"]] == [case.pk]
    later = sent_day + timedelta(days=1)
    assert admin_api.get("/api/stats/cases/", {"assigned_unit": u1.pk, "which": "captured",
                                               }).json()["count"] == 0
    assert admin_api.get("/api/stats/cases/", {"assigned_unit": u2.pk,
                                               "from": later}).json()["count"] == 0


def test_a_late_arrest_moves_past_figures(admin_api, org, people):
    from tests.factories import make_room

    case = make_room(people, org)            # alarm 2021-12-04 04:43 Shanghai
    day = {"from": "2021-12-04", "to": "2021-12-04", "unit": org.county.pk}
    assert _summary(admin_api, **day)["cases_with_arrests"] == 0
    # recorded a week later, through the service the room uses
    dispatch.record_arrest(actor=people.lead, case_id=case.pk, name="迟到的抓获",
                           arrested_at=datetime(2021, 12, 4, 18, 30, tzinfo=SH))
    after = _summary(admin_api, **day)
    assert after["cases_with_arrests"] == 1 and after["suspects_arrested"] == 1
    assert after["median_time_to_arrest_s"] == 13 * 3600 + 47 * 60


def test_csv_has_a_header_row_first(admin_api, org):
    county, _ = _county(org.city)
    _case(county)
    for path in ("summary", "units", "trend", "breakdown", "cases", "open-cases"):
        r = admin_api.get(f"/api/stats/{path}/", {"format": "csv", "from": "2025-03-01",
                                                   "to": "2025-03-31"})
        assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
        lines = r.content.decode("utf-8-sig").splitlines()
        assert lines and "," in lines[0] and not lines[0][0].isdigit(), (path, lines[:2])
    bad = admin_api.get("/api/stats/summary/", {"format": "csv", "from": "2025-13-01"})
    assert bad.status_code == 400 and "from" in bad.json()


# ---- counts and sums equal a computation from raw rows ----------------------------------

case_spec = st.fixed_dictionaries({
    "loss": st.integers(0, 50_000),
    "alarm_day": st.integers(0, 40),
    "category": st.sampled_from(["theft", "fraud", "robbery"]),
    "suspects": st.integers(0, 4),
    "arrests": st.lists(st.tuples(st.integers(0, 4), st.integers(-3600, 90_000),
                                  st.booleans()), max_size=4),
    "recoveries": st.lists(st.tuples(st.integers(0, 40_000), st.booleans()), max_size=3),
    "assignments": st.lists(st.tuples(
        st.integers(0, 1), st.sampled_from(["sent", "acknowledged", "completed", "declined",
                                            "cancelled"]),
        st.sampled_from(["captured", "not_found"]), st.integers(1, 200),
        st.integers(60, 20_000), st.booleans()), max_size=4),
})


def _raw_expectation(cases: list[Case], units: list[Unit]) -> dict:
    ids = [c.pk for c in cases]
    arrests = list(Arrest.objects.filter(case_id__in=ids, drill=False))
    identified = 0
    for c in cases:
        marked = set(CaseEntity.objects.filter(case=c, role="suspect")
                     .values_list("entity_id", flat=True))
        mine = [a for a in arrests if a.case_id == c.pk]
        identified += len(marked | {a.person_id for a in mine if a.person_id}) + sum(
            1 for a in mine if a.person_id is None)
    recovered = {c.pk: sum((r.value for r in Recovery.objects.filter(case=c, drill=False)),
                           Decimal(0)) for c in cases}
    firsts = [int(max(0, (min(a.arrested_at for a in arrests if a.case_id == c.pk)
                          - c.reported_at).total_seconds()))
              for c in cases if any(a.case_id == c.pk for a in arrests)]
    work = list(Assignment.objects.filter(unit__in=units, instruction__drill=False))
    received = [a for a in work if a.status != "cancelled" or a.acknowledged_at]
    captured = [a for a in work if a.status == "completed" and a.result == "captured"]
    return {
        "cases_opened": len(cases),
        "cases_with_arrests": len({a.case_id for a in arrests}),
        "suspects_identified": identified,
        "suspects_arrested": len(arrests),
        "recovered_value": sum(recovered.values(), Decimal(0)),
        "reported_loss": sum((c.reported_loss for c in cases), Decimal(0)),
        "median_time_to_arrest_s": median_low(firsts) if firsts else None,
        "received": len(received),
        "captured": len(captured),
        "acknowledged_in_time": sum(1 for a in received if a.acknowledged_at
                                    and a.acknowledged_at <= a.ack_deadline_at),
        "median_capture_s": median_low(sorted(int((a.completed_at - a.sent_at)
                                                  .total_seconds()) for a in captured))
        if captured else None,
        "drill_arrests": Arrest.objects.filter(case_id__in=ids, drill=True).count(),
    }


@pytest.mark.django_db
@settings(max_examples=12, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=st.lists(case_spec, min_size=1, max_size=5))
def test_counts_and_sums_equal_the_raw_rows(admin_api, org, specs):
    county, patrols = _county(org.city)
    cases = []
    for spec in specs:
        alarm = ALARM + timedelta(days=spec["alarm_day"], minutes=spec["loss"] % 600)
        case = _case(county, alarm=alarm, loss=f"{spec['loss']}.00", category=spec["category"])
        persons = [_suspect(case, alarm + timedelta(minutes=5 * (i + 1)))
                   for i in range(spec["suspects"])]
        used = set()
        for who, offset, drill in spec["arrests"]:
            person = persons[who] if who < len(persons) and who not in used else None
            if person is not None and not drill:
                used.add(who)
            _arrest(case, alarm + timedelta(seconds=offset), None if drill else person,
                    drill=drill)
        for value, drill in spec["recoveries"]:
            Recovery.objects.create(case=case, items="物品", value=Decimal(value), drill=drill)
        for unit_i, status, result, ack_s, done_s, drill in spec["assignments"]:
            sent = alarm + timedelta(minutes=30)
            acked = status in ("acknowledged", "completed") or (status == "cancelled" and
                                                                  ack_s % 2 == 0)
            _assignment(case, patrols[unit_i], sent=sent, status=status, result=result,
                        ack=sent + timedelta(seconds=ack_s) if acked else None,
                        done=sent + timedelta(seconds=done_s), drill=drill)
        cases.append(case)
    expected = _raw_expectation(cases, patrols)
    got = _summary(admin_api, unit=county.pk)
    for key in ("cases_opened", "cases_with_arrests", "suspects_identified",
                "suspects_arrested", "received", "captured", "acknowledged_in_time",
                "median_time_to_arrest_s", "median_capture_s"):
        assert got[key] == expected[key], key
    for key in ("recovered_value", "reported_loss"):
        assert Decimal(str(got[key])) == expected[key], key
    assert got["drills"]["arrests"] == expected["drill_arrests"]
    # the same per unit and per day, summed back
    units = admin_api.get("/api/stats/units/", {"unit": county.pk}).json()["results"]
    assert sum(r["captured"] for r in units) == expected["captured"]
    # each unit's median and 90th-percentile capture time and median acknowledgement, by
    # nearest rank over the raw rows
    for row in units:
        work = list(Assignment.objects.filter(unit_id=row["unit"]["id"],
                                              instruction__drill=False))
        captures = sorted(int((a.completed_at - a.sent_at).total_seconds()) for a in work
                          if a.status == "completed" and a.result == "captured")
        acks = sorted(int((a.acknowledged_at - a.sent_at).total_seconds()) for a in work
                      if a.acknowledged_at)
        assert (row["median_capture_s"], row["p90_capture_s"], row["median_ack_s"]) == (
            _nearest_rank(captures, 0.5), _nearest_rank(captures, 0.9),
            _nearest_rank(acks, 0.5)), row["unit"]
    # the two ways of computing the per-unit table (figures.units picks by period) agree,
    # over everything and over a few days
    for period in (Filters(unit=county), Filters(unit=county, start=ALARM.date(),
                                                 end=(ALARM + timedelta(days=9)).date())):
        sorted_rows = figures._unit_rows_sorted(Scope(), period)
        ranked = figures._unit_rows_ranked(Scope(), period)
        assert {u: {k: r[k] for k in sorted_rows[u]} for u, r in ranked.items()} == sorted_rows
    trend = admin_api.get("/api/stats/trend/", {"unit": county.pk}).json()["results"]
    assert sum(r["cases_opened"] for r in trend) == expected["cases_opened"]
    assert sum(r["received"] for r in trend) == expected["received"]
    # and the incrementally kept facts are exactly what a rebuild computes
    def kept():
        return (list(CaseFact.objects.order_by("pk").values()),
                list(AssignmentFact.objects.order_by("pk").values()),
                list(UnitDay.objects.order_by("unit", "day", "drill").values(
                    *(f.attname for f in UnitDay._meta.fields if f.name != "id"))))

    before = kept()
    facts.rebuild()
    assert before == kept()


def test_unit_percentiles_by_nearest_rank(admin_api, org):
    """Nearest rank, from the ranked query (over the whole record) and from the sorting one
    (over one day of a longer record). On the day: ten captures of 100 … 1,000 s, median
    500 s and 90th percentile 900 s (the 5th and 9th of 10); acknowledgements 0 … 10 s,
    median 5 s (the 6th of 11). Over the record one more capture, of 99,999 s (the 6th and
    10th of 11: 600 s and 1,000 s), and one more acknowledgement of 0 s (the 6th of 12:
    4 s)."""
    county, (unit, _other) = _county(org.city)
    case = _case(county)
    for i in range(1, 11):
        sent = ALARM + timedelta(hours=i)
        _assignment(case, unit, sent=sent, ack=sent + timedelta(seconds=i),
                    done=sent + timedelta(seconds=100 * i))
    # a drill, a failed attempt and a long-past capture outside the few days asked for
    _assignment(case, unit, sent=ALARM, done=ALARM + timedelta(seconds=5), drill=True)
    _assignment(case, unit, sent=ALARM, ack=ALARM, done=ALARM + timedelta(seconds=7),
                result="not_found")
    _assignment(case, unit, sent=ALARM - timedelta(days=60), ack=ALARM - timedelta(days=60),
                done=ALARM - timedelta(days=60) + timedelta(seconds=99_999))
    for params, used in (({}, "ranked"), ({"from": ALARM.date().isoformat(),
                                           "to": ALARM.date().isoformat()}, "sorted")):
        day = ALARM.date() if params else None
        period = Filters(start=day, end=day)
        assert figures._ranked_pays(Scope(), period) is (used == "ranked")
        [row] = [r for r in admin_api.get("/api/stats/units/", {"unit": county.pk, **params})
                 .json()["results"] if r["unit"]["id"] == unit.pk]
        if used == "ranked":
            assert (row["captured"], row["median_capture_s"], row["p90_capture_s"],
                    row["median_ack_s"]) == (11, 600, 1000, 4), row
        else:
            assert (row["captured"], row["median_capture_s"], row["p90_capture_s"],
                    row["median_ack_s"]) == (10, 500, 900, 5), row
    # sorted by a figure either way, the unit without it (no captures) last
    for ordering in ("median_capture_s", "-median_capture_s"):
        listed = admin_api.get("/api/stats/units/", {"unit": county.pk, "ordering": ordering}
                               ).json()["results"]
        assert [r["unit"]["id"] for r in listed] == [unit.pk, _other.pk], ordering


def test_unit_day_sums_follow_saves_and_deletes(org):
    county, (unit, other) = _county(org.city)
    case = _case(county)
    first = _assignment(case, unit, sent=ALARM, ack=ALARM)
    _assignment(case, unit, sent=ALARM + timedelta(hours=1), status="declined")
    _assignment(case, other, sent=ALARM, drill=True)

    def sums():
        return sorted(UnitDay.objects.values_list("unit_id", "day", "drill", "received",
                                                  "captured", "declined", "n_ack"))

    day = ALARM.date()
    assert sums() == [(unit.pk, day, False, 2, 1, 1, 1), (other.pk, day, True, 1, 1, 0, 0)]
    first.delete()
    Assignment.objects.filter(unit=other).delete()
    assert sums() == [(unit.pk, day, False, 1, 0, 1, 0)]
    kept = sums()
    facts.rebuild()
    assert sums() == kept

    # a case deleted with its assignments: their unit days recomputed once, together
    gone = _case(county)
    for hours in range(4):
        _assignment(gone, unit, sent=ALARM + timedelta(days=1, hours=hours))
        _assignment(gone, other, sent=ALARM + timedelta(days=2, hours=hours))
    assert len(sums()) == 3
    with CaptureQueriesContext(connection) as ran:
        gone.delete()
    assert sums() == kept
    recomputed = [q for q in ran.captured_queries if "INSERT INTO stats_unitday" in q["sql"]]
    assert len(recomputed) == 1


def _nearest_rank(values: list[int], p: float) -> int | None:
    """The smallest value with at least a share p of the values at or below it."""
    return values[max(1, math.ceil(p * len(values))) - 1] if values else None


# ---- who reads which figures -------------------------------------------------------------

def test_menu_links_the_dashboard_for_leadership_and_administrators(client, people):
    link = 'href="/dashboard/"'
    for user, shown in ((people.leader, True), (make_user("chief", None, OrgRole.ADMIN), True),
                        (people.lead, False), (people.patrol, False)):
        client.force_login(user)
        home = client.get("/")
        assert home.status_code == 200
        assert (link in home.content.decode()) is shown, user.username
        # the page itself opens for everyone signed in, on their own scope
        assert client.get("/dashboard/").status_code == 200


def test_leadership_reads_its_units_and_below(api, org, people):
    from tests.factories import make_room

    own = make_room(people, org)                                   # owned under `county`
    other = _case(org.other_brigade, loss="777.00")
    _arrest(other, ALARM + timedelta(hours=2), name="乙县抓获")
    api.force_authenticate(people.leader)
    mine = _summary(api)
    assert mine["cases_opened"] == 1 and mine["suspects_arrested"] == 0
    assert api.get(f"/api/stats/cases/{other.pk}/").status_code == 404
    assert api.get(f"/api/stats/cases/{own.pk}/").status_code == 200
    listed = api.get("/api/stats/cases/").json()
    assert [c["case"]["id"] for c in listed["results"]] == [own.pk]
    # a filter on a unit outside the scope narrows to nothing, it does not widen
    assert _summary(api, unit=org.other_county.pk)["cases_opened"] == 0
    api.force_authenticate(people.outsider)
    assert _summary(api)["cases_opened"] == 0
    api.force_authenticate(people.patrol)
    assert _summary(api)["cases_opened"] == 0
