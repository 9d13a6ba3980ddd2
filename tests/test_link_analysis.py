"""Link analysis on the real graph engine: series, expand, paths, groups, deep digging,
access requests, and need-to-know over every analysis route.

Rooms are built through the services, the outbox is drained into FalkorDB by the real
sync, and the API is called as each kind of user.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import networkx as nx
import pytest
from django.utils import timezone

from casework.core.models import AuditEntry
from casework.entities import services as entity_services
from casework.entities.models import SeriesAlert
from casework.entities.selectors import personalise_series_alert
from casework.entities.series_alerts import detect
from casework.evidence import services as evidence_services
from casework.rooms import services as room_services
from casework.rooms.models import AccessRequest, RoomEvent
from linkanalysis import sync
from linkanalysis.graph import repository
from tests.factories import SH, make_room, make_user

pytestmark = pytest.mark.stack


@pytest.fixture
def graph(db):
    """An empty graph: the engine is shared by the whole run and not rolled back."""
    repository.ensure_schema_once()
    repository.delete_everything()
    yield
    repository.delete_everything()


class Room:
    """A case room filled through the services, as a member would."""

    def __init__(self, case, actor):
        self.case, self.actor = case, actor
        self.evidence = evidence_services.add_evidence(
            actor=actor, case_id=case.pk, kind="document", description=f"{case.number} 话单")

    @property
    def pk(self):
        return self.case.pk

    def entity(self, kind: str, value: str, label: str = "", role: str = "",
               id_number: str = "") -> int:
        details = {"id_number": id_number} if id_number else {}
        return entity_services.add_entity(actor=self.actor, case_id=self.pk, kind=kind,
                                          value=value, label=label, role=role,
                                          details=details).entity_id

    def link(self, kind: str, a: int, b: int, count: int = 1, when=None) -> int:
        return entity_services.add_link(actor=self.actor, case_id=self.pk, kind=kind,
                                        source=a, target=b, evidence_id=self.evidence.pk,
                                        count=count, first_seen=when, last_seen=when).pk


def new_room(people, org, number: str, *, lead=None, unit=None, title="案件") -> Room:
    from decimal import Decimal

    if lead is None:
        return Room(make_room(people, org, number=number), people.lead)
    case = room_services.create_case(
        actor=lead, number=number, title=title, category="theft",
        reported_at=timezone.datetime(2021, 12, 3, 9, 0, tzinfo=SH),
        reported_loss=Decimal("5000"), owning_unit=unit)
    return Room(case, lead)


def resident_id(n: int) -> str:
    """A valid 18-digit resident ID number (a person shared between rooms needs one)."""
    from stdnum.cn import ric

    body = f"350623199001{n % 28 + 1:02d}{n:03d}"
    return body + ric.calc_check_digit(body + "0")  # it expects a placeholder digit


@pytest.fixture
def hidden_lead(org):
    return make_user("h_lead", org.other_brigade)


def test_series_planted_cases_rank_first_and_hubs_do_not_lift_decoys(
        api, people, org, graph, hidden_lead, settings):
    settings.SERIES_HUB_CAP = 50
    a = new_room(people, org, "A-12.4 平和盗窃案")
    phone = a.entity("phone", "13812340001", "嫌疑人手机")
    a.entity("vehicle", "闽E·3J721", "白色面包车")
    person = a.entity("person", "林某某", "林某某", role="suspect", id_number=resident_id(1))
    locker = a.entity("phone", "05962220000", "快递柜电话")    # a hub
    taxi = a.entity("phone", "05962221111", "出租车公司总机")  # common, under the cap

    shared_phone = new_room(people, org, "B-共用手机案")
    shared_phone.entity("phone", "+86 138 1234 0001")
    plate = new_room(people, org, "C-同车牌案")
    plate.entity("vehicle", "闽E3J721")                        # written differently
    # D: a person two links away — A's suspect met D's person in a third room E
    two_hops = new_room(people, org, "D-两跳案")
    accomplice = two_hops.entity("person", "陈某", "陈某", id_number=resident_id(2))
    meeting = new_room(people, org, "E-会面案")
    meeting.link("MET", meeting.entity("person", "林某某", id_number=resident_id(1)),
                 meeting.entity("person", "陈某", id_number=resident_id(2)))
    assert accomplice
    decoys = []
    for i in range(60):                   # the locker's phone is in 61 cases: ignored
        decoy = new_room(people, org, f"Z-{i:02d} 快递柜诱饵案")
        decoy.entity("phone", "05962220000")
        if i < 20:                        # the switchboard in 21 cases: down-weighted
            decoy.entity("phone", "05962221111")
        decoys.append(decoy.pk)
    sync.drain()

    api.force_login(people.member)
    body = api.get(f"/api/cases/{a.pk}/series/").json()
    ranked = [r["case"]["number"] for r in body["results"]]
    planted = {"B-共用手机案", "C-同车牌案", "D-两跳案", "E-会面案"}
    assert set(ranked[:4]) == planted, ranked[:6]
    scores = {r["case"]["number"]: r["score"] for r in body["results"]}
    best_decoy = max(v for k, v in scores.items() if k.startswith("Z-"))
    assert min(scores[n] for n in planted) > best_decoy
    # decoys tied only by the locker's phone do not appear at all
    only_locker = {f"Z-{i:02d} 快递柜诱饵案" for i in range(20, 60)}
    assert not only_locker & set(ranked)
    assert {"kind": "phone", "key": "+865962220000", "cases": 61} in body["hubs_ignored"]
    reasons = {r["case"]["number"]: " ".join(r["reasons"]) for r in body["results"]}
    assert "嫌疑人手机" in reasons["B-共用手机案"]
    assert "白色面包车" in reasons["C-同车牌案"]
    assert "林某某" in reasons["D-两跳案"] and "陈某" in reasons["D-两跳案"]
    assert locker and taxi and phone and person


def _secret_world(people, org, hidden_lead):
    """Room A (people.member is a member) and a hidden room H of another county sharing a
    phone with A; H also holds secrets that must never reach A's members."""
    a = new_room(people, org, "A-可见案件")
    shared = a.entity("phone", "13900000001", "共用手机")
    mine = a.entity("phone", "13900000002", "我方手机")
    suspect = a.entity("person", "王某", "王某", role="suspect")
    a.link("USES", suspect, shared)
    h = new_room(people, org, "H-秘密案件编号", lead=hidden_lead, unit=org.other_brigade,
                 title="秘密案件标题")
    h_shared = h.entity("phone", "13900000001", "秘密标签甲")
    secret_phone = h.entity("phone", "13700009999", "秘密线人手机")
    secret_person = h.entity("person", "赵秘密", "赵秘密")
    h_mine = h.entity("phone", "13900000002", "秘密标签乙")
    h.link("CALLED", h_shared, secret_phone, count=7)
    h.link("CALLED", secret_phone, h_mine, count=3)
    h.link("USES", secret_person, secret_phone)
    h.entity("vehicle", "闽Z·99999", "秘密车辆")
    # what the Celery task does when H's entities arrive (run here without a worker)
    assert detect(h.pk, [h_shared, h_mine]) == 1
    sync.drain()
    secrets = ["H-秘密案件编号", "秘密案件标题", org.other_brigade.name, "秘密标签", "13700009999",
               "赵秘密", "秘密线人", "闽Z99999", "秘密车辆", hidden_lead.username]
    return a, h, shared, mine, suspect, secrets


def test_need_to_know_on_every_analysis_route(api, people, org, graph, hidden_lead):
    a, h, shared, mine, suspect, secrets = _secret_world(people, org, hidden_lead)
    assert detect(a.pk, [shared]) == 0   # raised when H added the phone: once per pair
    alert = SeriesAlert.objects.get()
    api.force_login(people.member)
    bodies = {
        "graph": api.get(f"/api/cases/{a.pk}/graph/"),
        "graphml": api.get(f"/api/cases/{a.pk}/graph/?format=graphml"),
        "key-players": api.get(f"/api/cases/{a.pk}/key-players/"),
        "series": api.get(f"/api/cases/{a.pk}/series/"),
        "groups": api.get(f"/api/cases/{a.pk}/groups/"),
        "deep-dig": api.get(f"/api/cases/{a.pk}/deep-dig/"),
        "expand": api.get(f"/api/graph/expand/?entity={shared}&depth=3"),
        "paths": api.get(f"/api/graph/paths/?source={shared}&target={mine}"),
        "timeline": api.get(f"/api/cases/{a.pk}/timeline/"),
        "access-requests": api.get("/api/access-requests/"),
    }
    alert_payload = RoomEvent.objects.get(case_id=a.pk, type="series.alert").payload
    personal = personalise_series_alert(alert_payload, people.member)
    raw = {name: r.content.decode() for name, r in bodies.items()}
    raw["alert"] = json.dumps(personal, ensure_ascii=False)
    for name, response in bodies.items():
        assert response.status_code == 200, (name, response.content[:300])
    for name, text in raw.items():
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked through {name}"
    # what may be said: a linked case exists, which of my entities it shares, a token
    series = bodies["series"].json()["results"]
    assert [r["masked"] for r in series] == [True] and series[0]["case"] is None
    assert "共用手机" in " ".join(series[0]["reasons"]) and series[0]["access_request"]
    expand = bodies["expand"].json()
    assert {m["entity"] for m in expand["masked"]} == {shared}
    assert expand["masked"][0]["other_cases"] == 1
    path = bodies["paths"].json()["paths"][0]
    assert path["hops"] == 2 and all(s["masked"] for s in path["steps"])
    assert path["nodes"][0]["id"] == shared and path["nodes"][1] is None
    assert personal["masked"] is True and personal["case"] is None
    assert alert.entity_id == shared
    # the hidden room's own members see everything (the other direction)
    api.force_login(hidden_lead)
    h_series = api.get(f"/api/cases/{h.pk}/series/").json()["results"]
    assert h_series[0]["masked"] is True  # A is closed to them too
    api.force_login(people.leader)        # leadership of A's county, not H's
    assert all(s not in api.get(f"/api/cases/{a.pk}/series/").content.decode()
               for s in secrets)


def test_an_outsider_gets_404_for_entities_they_never_met(api, people, org, graph,
                                                         hidden_lead):
    a, h, shared, mine, suspect, secrets = _secret_world(people, org, hidden_lead)
    secret_phone = h.case.entities.get(label="秘密线人手机").entity_id
    api.force_login(people.member)
    assert api.get(f"/api/graph/expand/?entity={secret_phone}").status_code == 404
    assert api.get(f"/api/graph/paths/?source={shared}&target={secret_phone}"
                   ).status_code == 404
    assert api.get(f"/api/cases/{h.pk}/series/").status_code == 404


def test_access_request_granted_for_a_time_then_lapses(api, people, org, graph,
                                                       hidden_lead):
    a, h, shared, mine, suspect, secrets = _secret_world(people, org, hidden_lead)
    api.force_login(people.member)
    token = api.get(f"/api/cases/{a.pk}/series/").json()["results"][0]["access_request"]
    first = api.post("/api/access-requests/", {"token": token, "reason": "串案核查"},
                     format="json")
    assert first.status_code == 201 and first.json()["status"] == "pending"
    again = api.post("/api/access-requests/", {"token": token}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    mine_listed = api.get("/api/access-requests/").json()["mine"][0]
    assert mine_listed["case"] is None and "秘密" not in json.dumps(mine_listed,
                                                                    ensure_ascii=False)
    # someone else cannot use my token
    api.force_login(people.observer)
    assert api.post("/api/access-requests/", {"token": token},
                    format="json").status_code == 400
    # the hidden room's lead sees who asks and which of their entities are shared
    api.force_login(hidden_lead)
    waiting = api.get("/api/access-requests/").json()["to_decide"]
    assert waiting[0]["requester"]["username"] == "member"
    assert sorted(e["key"] for e in waiting[0]["shared"]) == ["+8613900000001",
                                                              "+8613900000002"]
    request_id = first.json()["id"]
    # not the lead of that room: 404 (cannot open it)
    api.force_login(people.lead)
    assert api.post(f"/api/access-requests/{request_id}/grant/").status_code == 404
    api.force_login(hidden_lead)
    granted = api.post(f"/api/access-requests/{request_id}/grant/", {"hours": 2},
                       format="json")
    assert granted.status_code == 200 and granted.json()["status"] == "granted"
    assert api.post(f"/api/access-requests/{request_id}/refuse/").status_code == 409
    assert AuditEntry.objects.filter(action="access.granted", case_id=h.pk).exists()
    assert RoomEvent.objects.filter(case_id=h.pk, type="access.granted").exists()

    api.force_login(people.member)
    assert api.get(f"/api/cases/{h.pk}/").status_code == 200
    series = api.get(f"/api/cases/{a.pk}/series/").json()["results"]
    assert series[0]["case"]["number"] == "H-秘密案件编号"
    assert api.post(f"/api/cases/{h.pk}/messages/", {"text": "x"},
                    format="json").status_code == 403   # see and analyse, not write
    # the grant lapses: the room is closed again, without any job having run
    AccessRequest.objects.filter(pk=request_id).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get(f"/api/cases/{h.pk}/").status_code == 404
    assert api.get(f"/api/cases/{a.pk}/series/").json()["results"][0]["masked"] is True


def test_access_request_refused(api, people, org, graph, hidden_lead):
    a, h, *_ = _secret_world(people, org, hidden_lead)
    api.force_login(people.member)
    token = api.get(f"/api/cases/{a.pk}/series/").json()["results"][0]["access_request"]
    request_id = api.post("/api/access-requests/", {"token": token},
                          format="json").json()["id"]
    api.force_login(hidden_lead)
    assert api.post(f"/api/access-requests/{request_id}/refuse/").json()["status"] == \
        "refused"
    assert AuditEntry.objects.filter(action="access.refused", case_id=h.pk).exists()
    api.force_login(people.member)
    assert api.get(f"/api/cases/{h.pk}/").status_code == 404
    assert api.post("/api/access-requests/", {"token": "x" * 40},
                    format="json").status_code == 400


def test_expand_filters_and_truncates_around_a_hub(api, people, org, graph, settings):
    a = new_room(people, org, "HUB-枢纽案")
    hub = a.entity("phone", "13500000000", "枢纽")
    early = timezone.datetime(2021, 12, 1, 10, 0, tzinfo=SH)
    late = timezone.datetime(2021, 12, 4, 3, 0, tzinfo=SH)
    spokes = []
    for i in range(30):
        spoke = a.entity("phone", f"1360000{i:04d}")
        a.link("CALLED", hub, spoke, when=early if i < 10 else late)
        spokes.append(spoke)
    owner = a.entity("person", "钱某", "钱某")
    a.link("USES", owner, hub)
    for i in range(5):          # a third level
        a.link("CALLED", spokes[0], a.entity("phone", f"1370000{i:04d}"))
    sync.drain()
    api.force_login(people.observer)
    one = api.get(f"/api/graph/expand/?entity={hub}").json()
    assert len(one["edges"]) == 31 and one["truncated"] is False
    assert {n["depth"] for n in one["nodes"]} == {0, 1}
    uses = api.get(f"/api/graph/expand/?entity={hub}&types=USES").json()
    assert [e["kind"] for e in uses["edges"]] == ["USES"]
    window = api.get(f"/api/graph/expand/?entity={hub}&types=CALLED"
                     "&since=2021-12-03T00:00:00%2B08:00").json()
    assert len(window["edges"]) == 20
    deep = api.get(f"/api/graph/expand/?entity={hub}&depth=2").json()
    assert len(deep["edges"]) == 36 and max(n["depth"] for n in deep["nodes"]) == 2
    capped = api.get(f"/api/graph/expand/?entity={hub}&depth=3&limit=12").json()
    assert capped["truncated"] is True and len(capped["edges"]) <= 12
    settings.GRAPH_QUERY_BUDGET_MS = 1   # spent before the second hop can start
    started = time.monotonic()
    budget = api.get(f"/api/graph/expand/?entity={hub}&depth=3").json()
    assert budget["truncated"] is True and time.monotonic() - started < 2
    bad = api.get(f"/api/graph/expand/?entity={hub}&depth=4&types=FOO")
    assert bad.status_code == 400 and "depth" in bad.json()


def test_paths_are_explained_link_by_link(api, people, org, graph):
    a = new_room(people, org, "P-路径案")
    p1 = a.entity("phone", "13811110001", "甲手机")
    p2 = a.entity("phone", "13811110002", "乙手机")
    person = a.entity("person", "孙某", "孙某")
    van = a.entity("vehicle", "闽E·11111", "面包车")
    a.link("CALLED", p1, p2, count=4)
    a.link("USES", person, p2)
    a.link("DRIVES", person, van)
    sync.drain()
    api.force_login(people.member)
    body = api.get(f"/api/graph/paths/?source={p1}&target={van}").json()
    [path] = body["paths"]
    assert path["hops"] == 3
    assert [n["label"] for n in path["nodes"]] == ["甲手机", "乙手机", "孙某", "面包车"]
    kinds = [s["link"]["kind"] for s in path["steps"]]
    assert kinds == ["CALLED", "USES", "DRIVES"]
    assert path["steps"][0]["link"]["count"] == 4
    assert path["steps"][0]["link"]["evidence"]["description"] == "P-路径案 话单"
    assert path["steps"][0]["link"]["case"]["number"] == "P-路径案"
    short = api.get(f"/api/graph/paths/?source={p1}&target={van}&max_depth=2").json()
    assert short["paths"] == []
    assert api.get(f"/api/graph/paths/?source={p1}&target={p1}").status_code == 400


def test_groups_and_deep_digging(api, people, org, graph):
    a = new_room(people, org, "G-团伙案")
    left = [a.entity("person", f"左{i}", f"左{i}") for i in range(4)]
    right = [a.entity("person", f"右{i}", f"右{i}") for i in range(4)]
    for group in (left, right):
        for i, x in enumerate(group):
            for y in group[i + 1:]:
                a.link("CO_OFFENDED", x, y)
    a.link("MET", left[0], right[0])
    suspect = a.entity("person", "周某", "周某", role="suspect")
    own_phone = a.entity("phone", "13822220000", "周某手机")
    a.link("USES", suspect, own_phone)
    a.link("MET", suspect, left[1])
    # contacts recorded in another room the user may open
    b = new_room(people, org, "G2-话单案")
    b_phone = b.entity("phone", "13822220000")
    frequent = b.entity("phone", "13822221111", "常联系人")
    rare = b.entity("phone", "13822223333")
    b.link("CALLED", b_phone, frequent, count=9)
    b.link("CALLED", b_phone, rare, count=2)
    sync.drain()
    api.force_login(people.observer)
    groups = api.get(f"/api/cases/{a.pk}/groups/").json()["results"]
    sets = [{m["label"] for m in g["members"]} for g in groups]
    assert any({f"左{i}" for i in range(4)} <= s for s in sets)
    assert any({f"右{i}" for i in range(4)} <= s for s in sets)
    assert all(g["links"] for g in groups)
    dig = api.get(f"/api/cases/{a.pk}/deep-dig/").json()
    assert [r["entity"]["key"] for r in dig["results"]] == ["+8613822221111",
                                                            "+8613822223333"]
    assert dig["results"][0]["count"] == 9 and dig["results"][0]["entity"]["label"] == \
        "常联系人"
    assert dig["results"][0]["cases"] == [{"id": b.pk, "number": "G2-话单案"}]
    assert [s["label"] for s in dig["sources"]] == ["周某"] and dig["basis"] == "suspects"
    # once someone is arrested, digging starts from the arrested
    from casework.dispatch import services as dispatch

    arrested = a.entity("person", "吴某", "吴某")
    a.link("MET", arrested, a.entity("person", "冯某", "冯某"))
    dispatch.record_arrest(actor=people.lead, case_id=a.pk, person=arrested,
                           arrested_at=timezone.datetime(2021, 12, 4, 18, 30, tzinfo=SH))
    sync.drain()
    dug = api.get(f"/api/cases/{a.pk}/deep-dig/").json()
    assert dug["basis"] == "arrested" and [s["label"] for s in dug["sources"]] == ["吴某"]


def _query_world(people, org, hidden_lead, tag: int, extra: int = 0):
    """A (p1–p2), B (p2–p3) and a hidden room H (p1–a secret phone); `extra` more rooms
    sharing p2 and each linking it to a phone of their own. Returns A, p1 and p3."""
    a = new_room(people, org, f"Q{tag}-A")
    p1 = a.entity("phone", f"138{tag}6660001", "甲")
    p2 = a.entity("phone", f"138{tag}6660002", "乙")
    a.link("CALLED", p1, p2)
    b = new_room(people, org, f"Q{tag}-B")
    p3 = b.entity("phone", f"138{tag}6660003", "丙")
    b.link("CALLED", b.entity("phone", f"138{tag}6660002"), p3)
    h = new_room(people, org, f"Q{tag}-H", lead=hidden_lead, unit=org.other_brigade)
    h.link("CALLED", h.entity("phone", f"138{tag}6660001"),
           h.entity("phone", f"137{tag}6660009"))
    for i in range(extra):
        more = new_room(people, org, f"Q{tag}-X{i}")
        more.link("CALLED", more.entity("phone", f"138{tag}6660002"),
                  more.entity("phone", f"138{tag}667{i:04d}"))
    sync.drain()
    return a, p1, p3


def test_analysis_query_counts_do_not_grow(api, people, org, graph, hidden_lead,
                                           django_assert_num_queries):
    """Pinned SQL query counts of the three analysis routes, the same with one linked room
    as with six. Each: the session and the user (2), then
    expand (depth 2): the entity (1), the open cases of the first level (1), those of the
    last level with the nodes' entities (1), their labels (1);
    paths: both entities (1), the open cases with the nodes' entities and the evidence
    (1), the labels (1);
    series: the case (1), the open cases (1), the entities of this case's nodes and of the
    other cases' (1), their labels (1)."""
    counts = {"expand": 6, "paths": 5, "series": 6}
    api.force_login(people.member)
    for tag, extra in [(1, 0), (2, 5)]:
        a, p1, p3 = _query_world(people, org, hidden_lead, tag, extra)
        answers = {}
        for name, url in {"expand": f"/api/graph/expand/?entity={p1}&depth=2",
                          "paths": f"/api/graph/paths/?source={p1}&target={p3}",
                          "series": f"/api/cases/{a.pk}/series/"}.items():
            with django_assert_num_queries(counts[name]):
                answers[name] = api.get(url).json()
        # p1–p2 in A, p2–p3 in B and in every extra room its own phone; H's link masked
        assert len(answers["expand"]["edges"]) == 2 + extra
        assert len(answers["expand"]["masked"]) == 1
        assert answers["paths"]["paths"][0]["hops"] == 2
        assert [r["masked"] for r in answers["series"]["results"]].count(False) == 1 + extra
        assert [r["masked"] for r in answers["series"]["results"]].count(True) == 1


def test_the_id_only_check_agrees_with_get_case_for_user(people, org, hidden_lead):
    """check_case_for_user (series: the case's id only, one raw query) gives the same
    answer or error as get_case_for_user for every kind of user, permission and room:
    open and closed, a grant in force and one that lapsed."""
    from casework.core.errors import Conflict, NotFound, NotPermitted
    from casework.rooms.access import check_case_for_user, get_case_for_user
    from casework.rooms.choices import CasePerm

    open_room = make_room(people, org)
    closed_room = make_room(people, org)
    room_services.close_case(actor=people.lead, case_id=closed_room.pk)
    hidden = new_room(people, org, "C-H", lead=hidden_lead, unit=org.other_brigade)
    granted = make_user("granted", org.brigade)
    lapsed = make_user("lapsed", org.brigade)
    for user, until in ((granted, timedelta(hours=1)), (lapsed, -timedelta(seconds=1))):
        AccessRequest.objects.create(case=hidden.case, requester=user, status="granted",
                                     expires_at=timezone.now() + until)
    users = [people.lead, people.member, people.observer, people.outsider, people.leader,
             people.other_leader, people.patrol, people.spare, hidden_lead, granted, lapsed]

    def outcome(check, user, pk, perm):
        try:
            found = check(user, pk, perm)
        except (NotFound, NotPermitted, Conflict) as exc:
            return type(exc).__name__
        return getattr(found, "pk", found)

    seen = set()
    for pk in (open_room.pk, closed_room.pk, hidden.pk, 10**9, "x"):
        for user in users:
            for perm in CasePerm.values:
                by_case = outcome(get_case_for_user, user, pk, perm)
                assert outcome(check_case_for_user, user, pk, perm) == by_case, \
                    (user.username, pk, perm)
                seen.add(by_case if isinstance(by_case, str) else "found")
    assert seen == {"found", "NotFound", "NotPermitted", "Conflict"}


def test_a_merged_entity_is_seen_through_its_survivor(api, people, org, graph, hidden_lead):
    """Expanding an entity needs it (or an entity merged into it) in a room the user may
    open, as an entity of the room or at an end of one of its links."""
    from casework.entities.models import CaseEntity

    h = new_room(people, org, "M-H", lead=hidden_lead, unit=org.other_brigade)
    survivor = h.entity("phone", "13877770001", "H 的手机")
    merged = h.entity("phone", "13877770002")
    h.link("CALLED", survivor, h.entity("phone", "13877770003"))
    a = new_room(people, org, "M-A")
    a.link("CALLED", a.entity("phone", "13877770002", "A 的手机"),
           a.entity("phone", "13877770004"))
    api.force_login(people.member)
    assert api.get(f"/api/graph/expand/?entity={survivor}").status_code == 404
    entity_services.merge_entities(actor=hidden_lead, case_id=h.pk, survivor=survivor,
                                   merged=merged, reason="同一部手机")
    sync.drain()
    # the member met the merged phone in A: both ids draw the survivor for them
    for asked in (survivor, merged):
        body = api.get(f"/api/graph/expand/?entity={asked}")
        assert body.status_code == 200
        assert body.json()["nodes"][0]["id"] == survivor
    # only at an end of A's link (no longer among A's entities): still seen
    CaseEntity.objects.filter(case_id=a.pk, entity_id=merged).delete()
    assert api.get(f"/api/graph/expand/?entity={survivor}").status_code == 200
    api.force_login(people.outsider)
    assert api.get(f"/api/graph/expand/?entity={merged}").status_code == 404
    assert api.get("/api/graph/expand/?entity=99999999999999999999").status_code == 404


def test_graphml_export_reads_back(api, people, org, graph):
    a = new_room(people, org, "X-导出案")
    a.link("CALLED", a.entity("phone", "13833330001", "甲"),
           a.entity("phone", "13833330002", "乙"), count=3)
    api.force_login(people.observer)
    response = api.get(f"/api/cases/{a.pk}/graph/?format=graphml")
    assert response["Content-Type"].startswith("application/graphml+xml")
    read = nx.parse_graphml(response.content.decode())
    assert sorted(d["label"] for _, d in read.nodes(data=True)) == ["乙", "甲"]
    [(_, _, data)] = read.edges(data=True)
    assert data["kind"] == "CALLED" and data["count"] == 3


def test_series_alert_once_per_pair_worded_per_reader(people, org, graph, hidden_lead):
    a = new_room(people, org, "S-先立案")
    a.entity("phone", "13844440001", "嫌疑人手机")
    b = new_room(people, org, "S-后立案", lead=hidden_lead, unit=org.other_brigade)
    b.entity("phone", "13844440001")
    assert detect(b.pk, list(b.case.entities.values_list("entity_id", flat=True))) == 1
    b.entity("vehicle", "闽E·22222")
    a.entity("vehicle", "闽E22222")
    for room in (a, b):   # a second shared entity, detection run twice: still one each
        detect(room.pk, list(room.case.entities.values_list("entity_id", flat=True)))
    assert SeriesAlert.objects.count() == 1
    events = {e.case_id: e.payload for e in RoomEvent.objects.filter(type="series.alert")}
    assert set(events) == {a.pk, b.pk}
    assert events[a.pk]["entity"]["key"] == "+8613844440001"
    masked = personalise_series_alert(events[a.pk], people.member)
    assert masked["masked"] is True and masked["case"] is None
    assert "S-后立案" not in json.dumps(events[a.pk], ensure_ascii=False)
    # in B's room: A is named to whoever may open A, and to no one else
    assert personalise_series_alert(events[b.pk], hidden_lead)["case"] is None
    assert personalise_series_alert(events[b.pk], people.leader)["case"]["number"] == \
        "S-先立案"
    # in A's room: B (another county) is named only to that county's leadership
    assert personalise_series_alert(events[a.pk], people.other_leader)["case"][
        "title"] == "案件"


def test_series_alert_reaches_the_room_live_from_the_worker(asgi_server, celery_worker_process,
                                                            live_people):
    """Evidence added in another county's room shares a phone with the Pinghe-like room:
    the worker raises the alert and A's member hears "another case" live, over TCP."""
    from casework.accounts.services import issue_ws_ticket
    from tests.test_room_websocket import open_ws, receive_until

    org, people, room = live_people
    a = Room(room, people.lead)
    a.entity("phone", "13855550001", "嫌疑人手机")
    outsider_room = new_room(people, org, "W-乙县案件", lead=people.outsider,
                             unit=org.other_brigade, title="乙县绝密标题")
    with open_ws(asgi_server, room.pk, people.member) as member, \
            open_ws(asgi_server, room.pk, ticket=issue_ws_ticket(user=people.leader).key) \
            as leader:
        outsider_room.entity("phone", "+86 138 5555 0001")
        heard = receive_until(member, lambda e: e["type"] == "series.alert", timeout=20)
        assert heard["masked"] is True and heard["case"] is None
        assert heard["entity"]["key"] == "+8613855550001"
        assert "乙县" not in json.dumps(heard, ensure_ascii=False)
        assert receive_until(leader, lambda e: e["type"] == "series.alert")["masked"] is True
    # the other room's lead (the outsider) may open only their own room: masked too;
    # A's lead, resuming in A, reads the same masked wording
    with open_ws(asgi_server, room.pk, people.lead) as lead:
        lead.send(json.dumps({"type": "resume", "after": 0}))
        again = receive_until(lead, lambda e: e["type"] == "series.alert")
        assert again["masked"] is True
    assert SeriesAlert.objects.count() == 1
