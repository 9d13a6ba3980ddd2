"""Key players and disruption on real data: the Montagna operation (Cavallaro et al.
2020; figures in ../shared/data/README.md)."""

from __future__ import annotations

from tests import montagna


def person(ref: dict, numbers: dict[int, int]) -> int:
    return numbers[ref["id"]]


def test_montagna_phone_calls(api, people, room):
    montagna.load_calls(actor=people.lead, case_id=room.pk)
    api.force_login(people.observer)
    body = api.get(f"/api/cases/{room.pk}/key-players/").json()
    by_key = {r["entity"]["key"]: r for r in body["results"]}
    number = {r["entity"]["id"]: int(r["entity"]["key"][-8:]) for r in body["results"]}
    assert len(body["results"]) == 100
    assert [number[r["entity"]["id"]] for r in body["results"][:3]] == [18, 61, 47]
    assert by_key[montagna.phone_of(18)]["degree"] == 25
    assert round(by_key[montagna.phone_of(18)]["betweenness"], 3) == 0.418
    assert [number[d["entity"]["id"]] for d in body["disruption"]] == [18, 61, 47, 29, 77]
    assert body["disruption"][-1]["largest_group_fraction"] == 0.2472   # 89 → 22


def test_montagna_meetings(api, people, room):
    ids = montagna.load_meetings(actor=people.lead, case_id=room.pk)
    number = {v: k for k, v in ids.items()}
    api.force_login(people.leader)
    body = api.get(f"/api/cases/{room.pk}/key-players/").json()
    assert [number[r["entity"]["id"]] for r in body["results"][:5]] == [18, 47, 27, 68, 12]
    assert [number[d["entity"]["id"]] for d in body["disruption"]] == [18, 25, 29, 22, 68]
    assert body["disruption"][-1]["largest_group_fraction"] == 0.4239   # 92 → 39
    assert body["results"][0]["entity"]["label"] == "Montagna #18"


def test_room_network_with_evidence(api, people, room):
    from casework.entities import imports
    from tests.factories import CALLS_CSV

    imports.import_now(actor=people.lead, case_id=room.pk, kind="calls",
                       data=CALLS_CSV.encode(), name="calls.csv")
    api.force_login(people.member)
    body = api.get(f"/api/cases/{room.pk}/graph/").json()
    assert {n["key"] for n in body["nodes"]} == {"+8613812345678", "+8613987654321",
                                                  "+8613600001111"}
    assert len(body["edges"]) == 2
    edge = next(e for e in body["edges"] if e["count"] == 2)
    assert edge["kind"] == "CALLED" and edge["evidence"]["kind"] == "call_records"
    assert edge["first_seen"] == "2021-12-04T02:10:00+08:00"
