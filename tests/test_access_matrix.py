"""Every route × every kind of user, enumerated from the URL resolver.

A route that is added without an entry here fails `test_every_route_is_in_the_matrix`.
Denied calls must change nothing (row counts of every table that matters) and send
nothing (no after-commit callback queued, nothing on the room's channel group).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.urls import URLResolver, get_resolver

from casework.accounts.models import Unit, User
from casework.core.models import AuditEntry
from casework.dispatch import services as dispatch_services
from casework.dispatch.models import UnitRequest
from casework.entities import imports
from casework.entities import services as entity_services
from casework.evidence import services as evidence_services
from casework.rooms.models import (
    AccessRequest,
    Case,
    CaseUserObjectPermission,
    Membership,
    Message,
    RoomEvent,
)
from tests.factories import (
    CALLS_CSV,
    csv_upload,
    make_org,
    make_people,
    make_room,
    png_upload,
)

ACTORS = ["anonymous", "outsider", "patrol", "observer", "member", "lead", "leader",
          "other_leader"]
ROOM_ACTORS_READ = {"observer": 200, "member": 200, "lead": 200, "leader": 200}
HIDDEN = {"outsider": 404, "patrol": 404, "other_leader": 404}


def _all(code: int, anonymous: int = 401) -> dict[str, int]:
    return {a: (anonymous if a == "anonymous" else code) for a in ACTORS}


def room_read(anonymous: int = 401) -> dict[str, int]:
    return {"anonymous": anonymous, **HIDDEN, **ROOM_ACTORS_READ}


def room_write(ok: int, allowed: set[str], anonymous: int = 401) -> dict[str, int]:
    """Writes in the room: hidden → 404; visible but not allowed → 403."""
    expect = {"anonymous": anonymous, **HIDDEN}
    for actor in ("observer", "member", "lead", "leader"):
        expect[actor] = ok if actor in allowed else 403
    return expect


@dataclass
class Call:
    route: str
    method: str
    path: str
    expect: dict[str, int]
    body: dict | None = None
    fmt: str = "json"
    notes: list[str] = field(default_factory=list)


def calls() -> list[Call]:
    new_case = {"number": "{actor}-新案", "title": "新案件", "category": "theft",
                "reported_at": "2021-12-04T04:43:00+08:00", "reported_loss": "100.00"}
    return [
        Call("healthz", "get", "/healthz", _all(200, anonymous=200)),
        Call("auth-token", "post", "/api/auth/token/", _all(400, anonymous=400), body={}),
        Call("auth-logout", "post", "/api/auth/logout/", _all(204)),
        Call("auth-ws-ticket", "post", "/api/auth/ws-ticket/", _all(201)),
        Call("me", "get", "/api/me/", _all(200)),
        Call("user-list", "get", "/api/users/", _all(200)),
        Call("unit-list", "get", "/api/units/", _all(200)),
        Call("unit-detail", "get", "/api/units/{unit}/", _all(200)),
        Call("unit-detail", "get", "/api/units/{foreign_unit}/", _all(404)),
        Call("case-list", "get", "/api/cases/", _all(200)),
        Call("case-list", "post", "/api/cases/",
             {**_all(201), "patrol": 403}, body=new_case),
        Call("case-detail", "get", "/api/cases/{case}/", room_read()),
        Call("case-detail", "patch", "/api/cases/{case}/", room_write(200, {"lead"}),
             body={"title": "改名"}),
        Call("case-close", "post", "/api/cases/{case}/close/", room_write(200, {"lead"})),
        # reopening an open case is an illegal state change, for the lead only
        Call("case-reopen", "post", "/api/cases/{case}/reopen/", room_write(409, {"lead"})),
        Call("case-members", "get", "/api/cases/{case}/members/", room_read()),
        Call("case-members", "post", "/api/cases/{case}/members/",
             room_write(201, {"lead"}), body={"user": "{spare}", "role": "member"}),
        Call("case-member", "patch", "/api/cases/{case}/members/{membership}/",
             room_write(200, {"lead"}), body={"can_dispatch": True}),
        Call("case-member", "delete", "/api/cases/{case}/members/{membership}/",
             room_write(204, {"lead"})),
        Call("case-messages", "get", "/api/cases/{case}/messages/", room_read()),
        Call("case-messages", "post", "/api/cases/{case}/messages/",
             room_write(201, {"lead", "member"}), body={"text": "收到"}),
        Call("case-timeline", "get", "/api/cases/{case}/timeline/", room_read()),
        Call("evidence-list", "get", "/api/cases/{case}/evidence/", room_read()),
        Call("evidence-list", "post", "/api/cases/{case}/evidence/",
             room_write(201, {"lead", "member"}),
             body={"kind": "photo", "description": "现场照片", "file": png_upload},
             fmt="multipart"),
        Call("evidence-detail", "get", "/api/cases/{case}/evidence/{evidence}/", room_read()),
        Call("evidence-download", "get", "/api/cases/{case}/evidence/{evidence}/download/",
             room_read()),
        Call("evidence-withdraw", "post", "/api/cases/{case}/evidence/{evidence}/withdraw/",
             room_write(200, {"lead", "member"}), body={"reason": "重复录入"}),
        Call("evidence-correct", "post", "/api/cases/{case}/evidence/{evidence}/correct/",
             room_write(201, {"lead", "member"}), body={"description": "更正说明"},
             fmt="multipart"),
        Call("evidence-custody", "get", "/api/cases/{case}/evidence/{evidence}/custody/",
             room_read()),
        Call("evidence-custody", "post", "/api/cases/{case}/evidence/{evidence}/custody/",
             room_write(201, {"lead", "member"}),
             body={"to_holder": "物证室", "reason": "入库保管"}),
        Call("custody-verify", "get", "/api/cases/{case}/custody/verify/", room_read()),
        Call("entity-list", "get", "/api/cases/{case}/entities/", room_read()),
        Call("entity-list", "post", "/api/cases/{case}/entities/",
             room_write(201, {"lead", "member"}),
             body={"kind": "vehicle", "value": "闽E·12345", "label": "面包车"}),
        Call("entity-merge", "post", "/api/cases/{case}/entities/merge/",
             room_write(201, {"lead", "member"}),
             body={"survivor": "{phone_a}", "merged": "{phone_b}", "reason": "同一部手机"}),
        Call("entity-unmerge", "post", "/api/cases/{case}/entities/merges/{merge}/undo/",
             room_write(200, {"lead", "member"})),
        Call("link-list", "get", "/api/cases/{case}/links/", room_read()),
        Call("link-list", "post", "/api/cases/{case}/links/",
             room_write(201, {"lead", "member"}),
             body={"kind": "CALLED", "source": "{phone_a}", "target": "{phone_b}",
                   "evidence": "{evidence}"}),
        Call("import-create", "post", "/api/cases/{case}/imports/",
             room_write(201, {"lead", "member"}),
             body={"kind": "calls", "file": lambda: csv_upload(CALLS_CSV)}, fmt="multipart"),
        Call("import-status", "get", "/api/imports/{import_job}/", room_read()),
        Call("case-graph", "get", "/api/cases/{case}/graph/", room_read()),
        Call("case-key-players", "get", "/api/cases/{case}/key-players/", room_read()),
        Call("case-series", "get", "/api/cases/{case}/series/", room_read()),
        Call("case-groups", "get", "/api/cases/{case}/groups/", room_read()),
        Call("case-deep-dig", "get", "/api/cases/{case}/deep-dig/", room_read()),
        Call("graph-expand", "get", "/api/graph/expand/?entity={phone_a}&depth=2",
             room_read()),
        Call("graph-paths", "get", "/api/graph/paths/?source={phone_a}&target={phone_b}",
             room_read()),
        Call("case-instructions", "get", "/api/cases/{case}/instructions/", room_read()),
        Call("case-instructions", "post", "/api/cases/{case}/instructions/",
             room_write(201, {"lead"}),
             body={"kind": "capture", "units": ["{patrol_unit}"], "text": "抓捕嫌疑人"}),
        Call("case-suggest-units", "get", "/api/cases/{case}/suggest-units/?lat=24.3&lon=117.3",
             room_write(200, {"lead"})),
        Call("case-arrests", "get", "/api/cases/{case}/arrests/", room_read()),
        Call("case-arrests", "post", "/api/cases/{case}/arrests/",
             room_write(201, {"lead", "member"}),
             body={"arrested_at": "2021-12-04T18:30:00+08:00", "name": "赖某某"}),
        Call("case-recoveries", "get", "/api/cases/{case}/recoveries/", room_read()),
        Call("case-recoveries", "post", "/api/cases/{case}/recoveries/",
             room_write(201, {"lead", "member"}), body={"items": "手机12部", "value": "9800.00"}),
        Call("instruction-detail", "get", "/api/instructions/{instruction}/",
             {**room_read(), "patrol": 200}),
        Call("instruction-cancel", "post", "/api/instructions/{instruction}/cancel/",
             room_write(200, {"lead"})),
        Call("assignment-ack", "post", "/api/assignments/{assignment}/ack/",
             {**room_write(200, set()), "patrol": 200}),
        Call("assignment-status", "post", "/api/assignments/{assignment}/status/",
             {**room_write(200, set()), "patrol": 200},
             body={"status": "declined", "reason": "车辆故障"}),
        Call("assignment-reassign", "post", "/api/assignments/{assignment}/reassign/",
             room_write(201, {"lead"}), body={"unit": "{spare_unit}"}),
        Call("case-dispatch-units", "get", "/api/cases/{case}/dispatch-units/", room_read()),
        Call("assignment-photos", "post", "/api/assignments/{assignment}/photos/",
             {**room_write(201, set()), "patrol": 201},
             body={"file": lambda: png_upload()}, fmt="multipart"),
        Call("terminal", "get", "/terminal/", _all(200, anonymous=200)),
        # the terminal's service worker: the page's code, nothing of any case
        Call("terminal-sw", "get", "/terminal/sw.js", _all(200, anonymous=200)),
        Call("case-unit-requests", "post", "/api/cases/{case}/unit-requests/",
             room_write(201, {"lead"}), body={"unit": "{foreign_unit_patrol}"}),
        Call("unit-requests", "get", "/api/unit-requests/", _all(200)),
        Call("unit-request-approve", "post", "/api/unit-requests/{unit_request}/approve/",
             {**_all(404), "other_leader": 200}),
        Call("unit-request-refuse", "post", "/api/unit-requests/{unit_request}/refuse/",
             {**_all(404), "other_leader": 200}),
        Call("unit-position", "post", "/api/units/{patrol_unit}/position/",
             {**_all(404), "patrol": 200}, body={"lat": 24.3, "lon": 117.3}),
        Call("unit-assignments", "get", "/api/units/{patrol_unit}/assignments/",
             {**_all(404), "patrol": 200}),
        Call("access-requests", "get", "/api/access-requests/", _all(200)),
        # a token that is not one: refused for everyone (the flows: test_access_requests)
        Call("access-requests", "post", "/api/access-requests/", _all(400),
             body={"token": "not-a-token"}),
        Call("access-request-grant", "post", "/api/access-requests/{access_request}/grant/",
             room_write(200, {"lead"}), body={"hours": 24}),
        Call("access-request-refuse", "post",
             "/api/access-requests/{access_request}/refuse/", room_write(200, {"lead"})),
        Call("case-bundle", "get", "/api/cases/{case}/bundle/", room_read()),
        # statistics: everyone reads their own scope (what each scope holds: test_stats)
        Call("stats-summary", "get", "/api/stats/summary/", _all(200)),
        Call("stats-summary", "get", "/api/stats/summary/?format=csv", _all(200)),
        Call("stats-units", "get", "/api/stats/units/?format=csv", _all(200)),
        Call("stats-trend", "get", "/api/stats/trend/?from=2021-12-01&to=2021-12-07",
             _all(200)),
        Call("stats-breakdown", "get", "/api/stats/breakdown/?by=county", _all(200)),
        Call("stats-cases", "get", "/api/stats/cases/?which=open", _all(200)),
        Call("stats-case", "get", "/api/stats/cases/{case}/", room_read()),
        Call("stats-open-cases", "get", "/api/stats/open-cases/", _all(200)),
        Call("stats-map", "get", "/api/stats/map/", _all(200)),
        Call("search", "get", "/api/search/?q=13812345678", _all(200)),
        Call("schema", "get", "/api/schema/", _all(200)),
        Call("api-docs", "get", "/api/docs/", _all(200)),
        Call("login", "get", "/login/", _all(302, anonymous=200)),
        Call("logout", "post", "/logout/", _all(302, anonymous=302)),
        Call("set_language", "post", "/i18n/setlang/", _all(302, anonymous=302),
             body={"language": "en"}, fmt="form"),
        Call("home", "get", "/", _all(200, anonymous=302)),
        Call("case-room", "get", "/cases/{case}/", room_read(anonymous=302)),
        # the dashboard page: every user, each reading their own scope through the API
        Call("stats-dashboard", "get", "/dashboard/", _all(200, anonymous=302)),
    ]


def _routes():
    """(route name, method) for every non-admin route the resolver knows."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p

    found = set()
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue  # Django admin: staff only, tested in test_admin
        callback = pattern.callback
        cls = getattr(callback, "cls", None)
        actions = getattr(callback, "actions", None)
        if actions:
            # not "head": DRF adds it to a viewset's `actions` (as its "get") at the first
            # request, so it appeared here only after other tests had called the route
            methods = [m for m in actions if m in cls.http_method_names and m != "head"]
        elif cls is not None:
            methods = [m for m in ("get", "post", "put", "patch", "delete")
                       if hasattr(cls, m) and m in cls.http_method_names]
        else:
            methods = ["*"]
        for m in methods:
            found.add((pattern.name, m))
    return found


def test_every_route_is_in_the_matrix(db):
    covered = {(c.route, c.method) for c in calls()}
    covered_names = {c.route for c in calls()}
    missing = sorted(
        (name, m) for name, m in _routes()
        if (m == "*" and name not in covered_names) or (m != "*" and (name, m) not in covered)
    )
    assert not missing, f"routes without a permission-matrix entry: {missing}"


def _snapshot():
    """Row counts of every table that matters, and the states that change without a new
    row (assignments', unit requests' statuses, units' positions): one query."""
    from casework.core.models import GraphOutbox
    from casework.dispatch.models import Arrest, Assignment, Instruction, Recovery, UnitEvent
    from casework.entities.models import CaseEntity, Entity, ImportJob, Link
    from casework.evidence.models import CustodyEntry, EvidenceItem

    counted = (Case, Membership, Message, RoomEvent, AuditEntry, CaseUserObjectPermission,
               User, EvidenceItem, CustodyEntry, Entity, CaseEntity, Link, ImportJob,
               GraphOutbox, AccessRequest, Instruction, Assignment, Arrest, Recovery,
               UnitEvent, UnitRequest)
    states = [(Assignment, "status"), (UnitRequest, "status"), (Unit, "lat, lon, status")]
    # table and column names from the models above, nothing from a request
    parts = [f"(SELECT count(*) FROM {m._meta.db_table})" for m in counted] + [  # noqa: S608
        f"(SELECT array_agg(({columns})::text ORDER BY id) FROM {m._meta.db_table})"  # noqa: S608
        for m, columns in states]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return cursor.fetchone()


def _drain(layer, group: str, channel: str) -> list[dict]:
    """What the call sent to the room's group: a marker is sent after it, and everything
    received before the marker (and anything already waiting behind it) is the call's.
    No fixed wait: a publish made during the request is in Redis before the marker."""
    import redis

    marker = {"type": "matrix.marker"}

    async def go():
        await layer.group_send(group, marker)
        got = []
        while (message := await asyncio.wait_for(layer.receive(channel), 5)) != marker:
            got.append(message)
        try:   # a message stamped at the marker's instant may sort just behind it
            while True:
                got.append(await asyncio.wait_for(layer.receive(channel), 0.01))
        # a cancellation that lands mid-read surfaces as redis' own TimeoutError
        except (TimeoutError, redis.exceptions.TimeoutError):
            return got

    return async_to_sync(go)()


@dataclass
class World:
    people: object
    case: Case
    values: dict


def _build_world() -> World:
    """A room with everything a route may name: evidence, entities, an import, a merge,
    an access request, units, a unit request and an instruction."""
    org = make_org()
    people = make_people(org)
    case = make_room(people, org)
    membership = Membership.objects.get(case=case, user=people.member)
    evidence = evidence_services.add_evidence(actor=people.lead, case_id=case.pk,
                                              kind="photo", description="监控截图",
                                              upload=png_upload())
    phone_a = entity_services.add_entity(actor=people.lead, case_id=case.pk, kind="phone",
                                         value="13812345678")
    phone_b = entity_services.add_entity(actor=people.lead, case_id=case.pk, kind="phone",
                                         value="13987654321")
    job = imports.start_import(actor=people.lead, case_id=case.pk, kind="calls",
                               upload=csv_upload(CALLS_CSV))
    phone_c = entity_services.add_entity(actor=people.lead, case_id=case.pk, kind="phone",
                                         value="13600002222")
    phone_d = entity_services.add_entity(actor=people.lead, case_id=case.pk, kind="phone",
                                         value="13600003333")
    merge = entity_services.merge_entities(actor=people.lead, case_id=case.pk,
                                           survivor=phone_c.entity_id,
                                           merged=phone_d.entity_id, reason="同一人")
    access_request = AccessRequest.objects.create(case=case, requester=people.spare)
    spare_unit = Unit.objects.add_child(Unit.objects.get_parent(org.patrol_unit), {
        "name": "巡逻组902", "kind": "patrol", "call_sign": "902", "patrol_kind": "car"})
    foreign_patrol = Unit.objects.add_child(org.other_county, {
        "name": "乙县巡逻组", "kind": "patrol", "call_sign": "778", "patrol_kind": "car"})
    asked_for = Unit.objects.add_child(org.other_county, {
        "name": "乙县巡逻组2", "kind": "patrol", "call_sign": "779", "patrol_kind": "car"})
    unit_request = UnitRequest.objects.create(case=case, unit=asked_for,
                                              requested_by=people.lead)
    instruction = dispatch_services.issue_instruction(
        actor=people.lead, case_id=case.pk, kind="capture", units=[org.patrol_unit.pk],
        text="抓捕", lat=24.3, lon=117.3)
    values = {"access_request": access_request.pk, "case": case.pk,
              "patrol_unit": org.patrol_unit.pk, "spare_unit": spare_unit.pk,
              "instruction": instruction.pk, "unit_request": unit_request.pk,
              "foreign_unit_patrol": foreign_patrol.pk,
              "assignment": instruction.assignments.get().pk,
              "membership": membership.pk, "unit": org.county.pk,
              "foreign_unit": org.foreign_city.pk, "spare": people.spare.pk,
              "evidence": evidence.pk, "phone_a": phone_a.entity_id,
              "phone_b": phone_b.entity_id, "import_job": job.pk, "merge": merge.pk}
    return World(people, case, values)


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    """One world for every cell of the matrix, built in a transaction that is never
    committed. Each test's own transaction (pytest-django's) nests in it as a savepoint and
    is rolled back, so every call meets the same world; the class's end rolls the world
    back too. Building it per test cost ~0.3 s × 730 tests."""
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = _build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


class TestMatrix:
    @pytest.mark.parametrize("actor", ACTORS)
    @pytest.mark.parametrize("call", calls(), ids=lambda c: f"{c.method}:{c.path}")
    def test_matrix(self, call: Call, actor: str, world: World, db, api,
                    django_capture_on_commit_callbacks):
        _check_cell(call, actor, world, api, django_capture_on_commit_callbacks)


def _check_cell(call: Call, actor: str, world: World, api, capture_on_commit) -> None:
    people, case, values = world.people, world.case, {**world.values, "actor": actor}
    path = call.path.format(**values)
    body = {}
    for key, value in (call.body or {}).items():
        if callable(value):
            value = value()
        elif isinstance(value, str):
            value = value.format(**values)
        body[key] = value
    for key in ("user", "source", "target", "evidence", "survivor", "merged", "unit"):
        if key in body:
            body[key] = int(body[key])
    if "units" in body:
        body["units"] = [int(u.format(**values)) for u in body["units"]]
    if actor != "anonymous":
        api.force_login(getattr(people, actor))

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"case.{case.pk}", channel)
    before = _snapshot()
    try:
        with capture_on_commit(execute=True) as callbacks:
            kwargs = {"format": call.fmt} if call.fmt in ("json", "multipart") else {}
            response = getattr(api, call.method)(path, body or None, **kwargs)
        sent = _drain(layer, f"case.{case.pk}", channel) if call.expect[actor] >= 400 else None
    finally:
        async_to_sync(layer.group_discard)(f"case.{case.pk}", channel)

    expected = call.expect[actor]
    assert response.status_code == expected, (
        f"{actor} {call.method.upper()} {path}: {response.status_code} "
        f"{getattr(response, 'data', '')}")
    if expected >= 400 and call.route not in {"auth-token"}:
        assert _snapshot() == before, "a refused call changed data"
        assert callbacks == [] and sent == [], "a refused call sent something"
    if expected == 404:
        # need-to-know: nothing of the room in the body
        assert case.number.encode() not in response.content
        assert case.title.encode() not in response.content


def test_case_list_shows_only_visible_rooms(org, api):
    people = make_people(org)
    case = make_room(people, org)
    for actor, sees in [("outsider", False), ("patrol", False), ("other_leader", False),
                        ("observer", True), ("leader", True), ("lead", True)]:
        api.force_login(getattr(people, actor))
        numbers = [c["number"] for c in api.get("/api/cases/").json()["results"]]
        assert (case.number in numbers) is sees, actor
