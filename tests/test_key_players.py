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
