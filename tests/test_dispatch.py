"""Capture instructions: the assignment state machine, cancel and reassign, unit status,
suggestions, arrests and recoveries, drills — through the API as each kind of user."""

from __future__ import annotations

import itertools
import os
import threading
from datetime import datetime

import pytest
from django.db import connection

from casework.accounts.models import Unit
from casework.core.models import AuditEntry
from casework.dispatch import services
from casework.dispatch.choices import TRANSITIONS, AssignmentStatus
from casework.dispatch.models import Arrest, Assignment, UnitEvent
from casework.rooms.models import RoomEvent
from tests.factories import SH, make_user

S = AssignmentStatus


def patrol_unit(org, call_sign: str, lat=None, lon=None) -> Unit:
    parent = Unit.objects.get_parent(org.patrol_unit)
    unit = Unit.objects.add_child(parent, {"name": f"巡逻组{call_sign}", "kind": "patrol",
                                           "call_sign": call_sign, "patrol_kind": "car"})
    if lat is not None:
        from django.utils import timezone

        Unit.objects.filter(pk=unit.pk).update(lat=lat, lon=lon, position_at=timezone.now())
    return Unit.objects.get(pk=unit.pk)


def issue(people, room, units, **extra):
    return services.issue_instruction(actor=people.lead, case_id=room.pk, kind="capture",
                                      units=[u.pk for u in units], text="抓捕赖某某",
                                      lat=24.3, lon=117.3, **extra)


def post_status(api, assignment, status, **body):
    return api.post(f"/api/assignments/{assignment.pk}/status/", {"status": status, **body},
                    format="json")


def body_for(status: str) -> dict:
    if status == S.COMPLETED:
        return {"result": "captured"}
    if status == S.DECLINED:
        return {"reason": "车辆故障"}
    return {}


@pytest.mark.parametrize("start,to", list(itertools.product(S.values, S.values)))
def test_every_transition(api, people, org, room, start, to):
    a = issue(people, room, [org.patrol_unit]).assignments.get()
    Assignment.objects.filter(pk=a.pk).update(status=start)
    api.force_login(people.patrol)
    response = post_status(api, a, to, **body_for(to))
    a.refresh_from_db()
    if to == start:
        assert response.status_code == 200 and a.status == start      # a retried request
    elif to in TRANSITIONS[start] and to != S.CANCELLED:
        assert response.status_code == 200, response.content
        assert a.status == to and getattr(a, f"{to}_at") is not None
        assert response.json()["status"] == to
    else:
        assert response.status_code == 409, response.content
        assert a.status == start


def test_bad_input_is_refused_with_400_and_changes_nothing(api, people, org, room):
    a = issue(people, room, [org.patrol_unit]).assignments.get()
    api.force_login(people.patrol)
    assert post_status(api, a, "flying").status_code == 400
    assert post_status(api, a, "declined").status_code == 400            # no reason
    assert post_status(api, a, "acknowledged", result="captured").status_code == 400
    assert post_status(api, a, "acknowledged", lat=91, lon=0).status_code == 400
    a.refresh_from_db()
    assert a.status == S.SENT


def test_the_whole_loop_with_positions_and_unit_status(api, people, org, room):
    a = issue(people, room, [org.patrol_unit]).assignments.get()
    assert Unit.objects.get(pk=org.patrol_unit.pk).status == "busy"
    api.force_login(people.patrol)
    ack = api.post(f"/api/assignments/{a.pk}/ack/", {"lat": 24.31, "lon": 117.29},
                   format="json")
    assert ack.status_code == 200 and ack.json()["status"] == "acknowledged"
    again = api.post(f"/api/assignments/{a.pk}/ack/", {}, format="json")
    assert again.json()["times"]["acknowledged"] == ack.json()["times"]["acknowledged"]
    for status in ("en_route", "on_scene"):
        assert post_status(api, a, status, lat=24.3, lon=117.3).status_code == 200
    done = post_status(api, a, "completed", result="captured")
    assert done.json()["result"] == "captured"
    a.refresh_from_db()
    assert a.positions["acknowledged"] == [24.31, 117.29] and "on_scene" in a.positions
    unit = Unit.objects.get(pk=org.patrol_unit.pk)
    assert unit.status == "available" and unit.lat == 24.3
    types = list(RoomEvent.objects.filter(case=room, type__startswith="assignment.")
                 .order_by("seq").values_list("type", flat=True))
    assert types == ["assignment.sent", "assignment.acknowledged", "assignment.en_route",
                     "assignment.on_scene", "assignment.completed"]
    assert UnitEvent.objects.filter(unit=org.patrol_unit, type="instruction.sent").count() == 1
    assert AuditEntry.objects.filter(action="assignment.completed").count() == 1


def test_who_may_move_an_assignment(api, people, org, room):
    a = issue(people, room, [org.patrol_unit]).assignments.get()
    other_patrol = make_user("patrol2", patrol_unit(org, "905"), "patrol")
    for user, code in [(people.lead, 403), (people.member, 403), (people.leader, 403),
                       (people.outsider, 404), (other_patrol, 404)]:
        api.force_login(user)
        assert api.post(f"/api/assignments/{a.pk}/ack/").status_code == code, user
    a.refresh_from_db()
    assert a.status == S.SENT


def test_cancel_and_reassign(api, people, org, room):
    second = patrol_unit(org, "902")
    instruction = issue(people, room, [org.patrol_unit])
    a = instruction.assignments.get()
    api.force_login(people.member)   # may not dispatch
    assert api.post(f"/api/assignments/{a.pk}/reassign/", {"unit": second.pk},
                    format="json").status_code == 403
    api.force_login(people.lead)
    moved = api.post(f"/api/assignments/{a.pk}/reassign/", {"unit": second.pk}, format="json")
    assert moved.status_code == 201 and moved.json()["replaces"] == a.pk
    a.refresh_from_db()
    assert a.status == S.CANCELLED
    assert Unit.objects.get(pk=org.patrol_unit.pk).status == "available"
    assert Unit.objects.get(pk=second.pk).status == "busy"
    assert UnitEvent.objects.filter(unit=org.patrol_unit, type="assignment.cancelled").exists()
    api.force_login(people.patrol)    # the old unit's terminal: cancelled, it cannot go on
    assert post_status(api, a, "acknowledged").status_code == 409
    api.force_login(people.lead)
    cancelled = api.post(f"/api/instructions/{instruction.pk}/cancel/")
    assert cancelled.status_code == 200
    assert {x["status"] for x in cancelled.json()["assignments"]} == {"cancelled"}
    assert Unit.objects.get(pk=second.pk).status == "available"
    assert api.post(f"/api/instructions/{instruction.pk}/cancel/").status_code == 409
    timeline = list(RoomEvent.objects.filter(case=room).values_list("type", flat=True))
    assert timeline.count("assignment.cancelled") == 2 and timeline.count(
        "assignment.sent") == 2


def test_only_units_of_the_rooms_bureau_and_not_off_duty(api, people, org, room):
    foreign = Unit.objects.add_child(org.other_county, {
        "name": "乙县巡逻组", "kind": "patrol", "call_sign": "777", "patrol_kind": "car"})
    api.force_login(people.lead)
    body = {"kind": "capture", "units": [foreign.pk], "text": "抓捕"}
    refused = api.post(f"/api/cases/{room.pk}/instructions/", body, format="json")
    assert refused.status_code == 400 and "units" in refused.json()
    Unit.objects.filter(pk=org.patrol_unit.pk).update(status="off_duty")
    body["units"] = [org.patrol_unit.pk]
    assert api.post(f"/api/cases/{room.pk}/instructions/", body,
                    format="json").status_code == 400
    assert not Assignment.objects.exists()


def test_suggestions_nearest_first_with_stale_positions_flagged(api, people, org, room):
    near = patrol_unit(org, "910", 24.301, 117.301)
    far = patrol_unit(org, "911", 24.5, 117.6)
    Unit.objects.filter(pk=far.pk).update(position_at=datetime(2021, 12, 4, tzinfo=SH))
    issue(people, room, [near])   # busy now: not suggested
    api.force_login(people.lead)
    results = api.get(f"/api/cases/{room.pk}/suggest-units/?lat=24.3&lon=117.3").json()[
        "results"]
    by_sign = {r["unit"]["call_sign"]: r for r in results}
    assert "910" not in by_sign
    assert by_sign["911"]["stale"] is True and 35_000 < by_sign["911"]["distance_m"] < 40_000
    assert results[-1]["distance_m"] is None    # unit 901 has no known position


def test_concurrent_transitions_one_wins(live_people):
    """Two terminals of one unit answer at once: acknowledge and decline. The row lock
    serialises them; exactly one wins, the other gets 409."""
    org, people, room = live_people
    a = issue(people, room, [org.patrol_unit]).assignments.get()
    second_officer = make_user("patrol_b", org.patrol_unit, "patrol")
    outcomes = []
    barrier = threading.Barrier(2)

    def act(user, status, extra):
        barrier.wait()
        try:
            services.transition(actor=user, assignment_id=a.pk, status=status, **extra)
            outcomes.append((status, "ok"))
        except Exception as exc:   # Conflict expected for the loser
            outcomes.append((status, type(exc).__name__))
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(people.patrol, "acknowledged", {})),
               threading.Thread(target=act, args=(second_officer, "declined",
                                                  {"reason": "另有任务"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    results = sorted(r for _, r in outcomes)
    assert results == ["Conflict", "ok"], outcomes
    a.refresh_from_db()
    winner = next(s for s, r in outcomes if r == "ok")
    assert a.status == winner


def test_arrests_recoveries_and_drills(api, people, org, room):
    from casework.entities import services as entity_services

    suspect = entity_services.add_entity(actor=people.lead, case_id=room.pk, kind="person",
                                         value="赖某某", label="赖某某", role="suspect")
    a = issue(people, room, [org.patrol_unit]).assignments.get()
    drill = issue(people, room, [patrol_unit(org, "920")], drill=True).assignments.get()
    api.force_login(people.patrol)
    arrest = api.post(f"/api/cases/{room.pk}/arrests/", {
        "arrested_at": "2021-12-04T18:30:00+08:00", "person": suspect.entity_id,
        "assignment": a.pk, "place": "平和县小溪镇"}, format="json")
    assert arrest.status_code == 201, arrest.content
    assert arrest.json()["unit"] == org.patrol_unit.pk and arrest.json()["name"] == "赖某某"
    again = api.post(f"/api/cases/{room.pk}/arrests/", {
        "arrested_at": "2021-12-04T18:31:00+08:00", "person": suspect.entity_id,
        "assignment": a.pk}, format="json")
    assert again.status_code == 409
    # a patrol officer records only under their unit's assignment
    assert api.post(f"/api/cases/{room.pk}/arrests/", {
        "arrested_at": "2021-12-04T18:30:00+08:00", "name": "某人"},
        format="json").status_code == 404
    assert api.post(f"/api/cases/{room.pk}/recoveries/", {
        "items": "手机12部", "value": "9800.00", "assignment": a.pk},
        format="json").status_code == 201
    api.force_login(people.lead)
    assert api.post(f"/api/cases/{room.pk}/recoveries/", {
        "items": "演练物品", "value": "100.00", "assignment": drill.pk},
        format="json").json()["drill"] is True
    assert api.post(f"/api/cases/{room.pk}/recoveries/", {"items": "x", "value": "-1"},
                    format="json").status_code == 400
    room.refresh_from_db()
    assert str(room.recovered_value) == "9800.00"     # the drill is not counted
    assert Arrest.objects.get().drill is False
    assert [r["drill"] for r in api.get(f"/api/cases/{room.pk}/recoveries/").json()[
        "results"]] == [False, True]
    # and the statistics count the drill apart, never in the figures
    api.force_login(people.leader)
    figures = api.get("/api/stats/summary/").json()
    assert (figures["received"], figures["suspects_arrested"]) == (1, 1)
    assert figures["recovered_value"] == 9800
    assert (figures["drills"]["received"], figures["drills"]["recovered_value"]) == (1, 100)


def test_a_unit_of_another_bureau_by_its_commanders_approval(api, people, org, room):
    foreign = Unit.objects.add_child(org.other_county, {
        "name": "乙县巡逻组", "kind": "patrol", "call_sign": "778", "patrol_kind": "car"})
    body = {"kind": "capture", "units": [foreign.pk], "text": "协助抓捕"}
    api.force_login(people.lead)
    assert api.post(f"/api/cases/{room.pk}/instructions/", body,
                    format="json").status_code == 400
    asked = api.post(f"/api/cases/{room.pk}/unit-requests/",
                     {"unit": foreign.pk, "reason": "嫌疑人逃往乙县"}, format="json")
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    assert api.post(f"/api/cases/{room.pk}/unit-requests/", {"unit": foreign.pk},
                    format="json").status_code == 409          # already waiting
    assert api.post(f"/api/cases/{room.pk}/unit-requests/", {"unit": org.patrol_unit.pk},
                    format="json").status_code == 409          # its own already
    request_id = asked.json()["id"]
    # not the unit's commander: cannot see the request
    api.force_login(people.leader)
    assert api.get("/api/unit-requests/").json()["results"] == []
    assert api.post(f"/api/unit-requests/{request_id}/approve/").status_code == 404
    api.force_login(people.other_leader)
    waiting = api.get("/api/unit-requests/").json()["results"]
    assert [w["unit"]["call_sign"] for w in waiting] == ["778"]
    assert api.post(f"/api/unit-requests/{request_id}/approve/").json()["status"] == \
        "approved"
    assert api.post(f"/api/unit-requests/{request_id}/refuse/").status_code == 409
    api.force_login(people.lead)
    sent = api.post(f"/api/cases/{room.pk}/instructions/", body, format="json")
    assert sent.status_code == 201, sent.content
    assert AuditEntry.objects.filter(action="unit.approved").count() == 1


def test_a_refused_unit_stays_out_of_reach(api, people, org, room):
    foreign = Unit.objects.add_child(org.other_county, {
        "name": "乙县巡逻组", "kind": "patrol", "call_sign": "779", "patrol_kind": "car"})
    api.force_login(people.lead)
    request_id = api.post(f"/api/cases/{room.pk}/unit-requests/", {"unit": foreign.pk},
                          format="json").json()["id"]
    api.force_login(people.other_leader)
    assert api.post(f"/api/unit-requests/{request_id}/refuse/").json()["status"] == "refused"
    api.force_login(people.lead)
    assert api.post(f"/api/cases/{room.pk}/instructions/",
                    {"kind": "capture", "units": [foreign.pk], "text": "x"},
                    format="json").status_code == 400
    # asking again after a refusal is allowed
    assert api.post(f"/api/cases/{room.pk}/unit-requests/", {"unit": foreign.pk},
                    format="json").status_code == 201


def test_replayed_arrests_and_recoveries_are_recorded_once(api, people, org, room):
    """The terminal's queue sends each action with an Idempotency-Key: a replay after a
    lost answer gets the first record back (same body, marked as a replay), and nothing
    is recorded, audited or announced twice."""
    from casework.dispatch.models import Recovery

    a = issue(people, room, [org.patrol_unit]).assignments.get()
    api.force_login(people.patrol)
    arrest = {"arrested_at": "2021-12-04T18:30:00+08:00", "name": "张某某",
              "place": "平和县小溪镇", "assignment": a.pk}

    def post(path, body, key):
        return api.post(f"/api/cases/{room.pk}/{path}/", body, format="json",
                        HTTP_IDEMPOTENCY_KEY=key)

    first = post("arrests", arrest, "1700000000000-0-k1")
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    again = post("arrests", arrest, "1700000000000-0-k1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Arrest.objects.filter(case=room).count() == 1
    assert AuditEntry.objects.filter(action="arrest.recorded").count() == 1
    assert RoomEvent.objects.filter(case=room, type="arrest.recorded").count() == 1
    # the same name under another key is another arrest (two people can share a name)
    assert post("arrests", arrest, "1700000000000-1-k2").status_code == 201
    assert Arrest.objects.filter(case=room).count() == 2
    # a key reused for a different request is refused, not answered with the wrong record
    other = post("arrests", {**arrest, "name": "李某某"}, "1700000000000-0-k1")
    assert other.status_code == 409
    assert post("recoveries", {"items": "x", "value": "1.00", "assignment": a.pk},
                "1700000000000-0-k1").status_code == 409
    assert Arrest.objects.filter(case=room).count() == 2

    recovery = {"items": "手机12部", "value": "9800.00", "assignment": a.pk}
    r1 = post("recoveries", recovery, "1700000000000-2-k3")
    r2 = post("recoveries", recovery, "1700000000000-2-k3")
    assert (r1.status_code, r2.status_code) == (201, 201)
    assert r1.json() == r2.json() and r2["Idempotent-Replayed"] == "true"
    assert Recovery.objects.filter(case=room).count() == 1
    room.refresh_from_db()
    assert str(room.recovered_value) == "9800.00"      # counted once
    assert RoomEvent.objects.filter(case=room, type="recovery.recorded").count() == 1

    # keys are per user: another officer's identical key is theirs, not a replay
    second_officer = make_user("patrol_b", org.patrol_unit, "patrol")
    api.force_login(second_officer)
    theirs = post("arrests", arrest, "1700000000000-0-k1")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert theirs.json()["id"] != first.json()["id"]
    # a malformed key is a 400, and records nothing
    assert post("arrests", arrest, "no spaces allowed").status_code == 400
    assert post("arrests", arrest, "k" * 65).status_code == 400
    assert Arrest.objects.filter(case=room).count() == 3
    # without a key, as before: each request records
    assert api.post(f"/api/cases/{room.pk}/arrests/", arrest, format="json").status_code == 201
    assert api.post(f"/api/cases/{room.pk}/arrests/", arrest, format="json").status_code == 201
    assert Arrest.objects.filter(case=room).count() == 5


def test_a_person_arrest_replayed_returns_the_first_not_409(api, people, org, room):
    """Without a key the second report of a person's arrest is a 409 (the unique rule);
    with the same key it is the replay it is, and gets the first answer."""
    from casework.entities import services as entity_services

    suspect = entity_services.add_entity(actor=people.lead, case_id=room.pk, kind="person",
                                         value="赖某某", label="赖某某", role="suspect")
    a = issue(people, room, [org.patrol_unit]).assignments.get()
    api.force_login(people.patrol)
    body = {"arrested_at": "2021-12-04T18:30:00+08:00", "person": suspect.entity_id,
            "assignment": a.pk}
    first = api.post(f"/api/cases/{room.pk}/arrests/", body, format="json",
                     HTTP_IDEMPOTENCY_KEY="q-1")
    replay = api.post(f"/api/cases/{room.pk}/arrests/", body, format="json",
                      HTTP_IDEMPOTENCY_KEY="q-1")
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert api.post(f"/api/cases/{room.pk}/arrests/", body, format="json",
                    HTTP_IDEMPOTENCY_KEY="q-2").status_code == 409


def test_a_replayed_photo_adds_no_second_item_and_leaves_no_file(api, people, org, room):
    from django.conf import settings

    from casework.evidence.models import EvidenceItem
    from tests.factories import png_upload

    def files():
        root = os.path.join(settings.MEDIA_ROOT, "evidence", str(room.pk))
        return sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)

    a = issue(people, room, [org.patrol_unit]).assignments.get()
    api.force_login(people.patrol)

    def post(key, name="scene.png"):
        return api.post(f"/api/assignments/{a.pk}/photos/",
                        {"file": png_upload(name), "description": "抓获现场"},
                        format="multipart", HTTP_IDEMPOTENCY_KEY=key)

    first = post("photo-1")
    assert first.status_code == 201, first.content
    stored = files()
    replay = post("photo-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert EvidenceItem.objects.filter(case=room, kind="photo").count() == 1
    assert files() == stored and len(stored) == 1     # the replay's upload was not kept
    assert post("photo-2").status_code == 201
    assert EvidenceItem.objects.filter(case=room, kind="photo").count() == 2


def test_two_copies_of_one_action_in_flight_at_once_record_once(live_people):
    """The first request is still in its transaction when the replay arrives (a phone
    that gave up waiting): the replay's key waits for the first to commit, then answers
    with its record."""
    org, people, room = live_people
    a = issue(people, room, [org.patrol_unit]).assignments.get()
    results, barrier = [], threading.Barrier(2)

    def record():
        barrier.wait()
        try:
            made = services.record_arrest(
                actor=people.patrol, case_id=room.pk, name="张某某",
                arrested_at=datetime(2021, 12, 4, 18, 30, tzinfo=SH), assignment=a.pk,
                idempotency_key="in-flight-1")
            results.append((made.pk, getattr(made, "replayed", False)))
        except Exception as exc:
            results.append(("error", repr(exc)))
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert len(results) == 2 and all(r[0] != "error" for r in results), results
    assert results[0][0] == results[1][0]
    assert sorted(r[1] for r in results) == [False, True]
    assert Arrest.objects.filter(case=room).count() == 1
