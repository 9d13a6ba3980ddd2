"""Entities and links by hand, and the need-to-know search across rooms."""

from __future__ import annotations

from casework.entities import services
from casework.entities.models import CaseEntity, Entity, Link
from casework.evidence import services as evidence_services
from tests.factories import make_room


def evidence(people, room):
    return evidence_services.add_evidence(actor=people.lead, case_id=room.pk,
                                          kind="document", description="话单分析报告")


def test_same_phone_in_two_rooms_is_one_entity(people, org, room):
    other = make_room(people, org)
    a = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                            value="138-1234-5678", label="嫌疑人甲手机")
    b = services.add_entity(actor=people.lead, case_id=other.pk, kind="phone",
                            value="+86 138 1234 5678", label="车主电话")
    assert a.entity_id == b.entity_id
    assert Entity.objects.filter(kind="phone").count() == 1
    assert {ce.label for ce in CaseEntity.objects.filter(entity_id=a.entity_id)} == {
        "嫌疑人甲手机", "车主电话"}


def test_people_without_id_numbers_are_not_merged_by_name(people, org, room):
    a = services.add_entity(actor=people.lead, case_id=room.pk, kind="person", value="张伟")
    b = services.add_entity(actor=people.lead, case_id=room.pk, kind="person", value="张伟")
    assert a.entity_id != b.entity_id
    c = services.add_entity(actor=people.lead, case_id=room.pk, kind="person", value="张伟",
                            details={"id_number": "11010519491231002x"}, role="suspect")
    assert c.entity.key == "11010519491231002X" and c.role == "suspect"


def test_links_need_evidence_and_both_ends_in_the_room(api, people, org, room):
    item = evidence(people, room)
    a = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                            value="13812345678")
    b = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                            value="13987654321")
    stranger = services.add_entity(actor=people.lead, case_id=make_room(people, org).pk,
                                   kind="vehicle", value="闽E12345")
    api.force_login(people.member)
    url = f"/api/cases/{room.pk}/links/"
    no_evidence = api.post(url, {"kind": "CALLED", "source": a.entity_id,
                                 "target": b.entity_id}, format="json")
    assert no_evidence.status_code == 400 and "evidence" in no_evidence.json()
    outside = api.post(url, {"kind": "DRIVES", "source": a.entity_id,
                             "target": stranger.entity_id, "evidence": item.pk},
                       format="json")
    assert outside.status_code == 400
    made = api.post(url, {"kind": "CALLED", "source": a.entity_id, "target": b.entity_id,
                          "evidence": item.pk, "count": 4,
                          "first_seen": "2021-12-04T02:00:00+08:00"}, format="json")
    assert made.status_code == 201 and made.json()["count"] == 4
    again = api.post(url, {"kind": "CALLED", "source": a.entity_id, "target": b.entity_id,
                           "evidence": item.pk, "count": 2,
                           "last_seen": "2021-12-04T03:00:00+08:00"}, format="json").json()
    assert again["count"] == 6 and again["version"] == 3
    assert again["first_seen"] == "2021-12-04T02:00:00+08:00"
    assert again["last_seen"] == "2021-12-04T03:00:00+08:00"


def test_met_is_undirected(people, room):
    item = evidence(people, room)
    a = services.add_entity(actor=people.lead, case_id=room.pk, kind="person", value="甲")
    b = services.add_entity(actor=people.lead, case_id=room.pk, kind="person", value="乙")
    services.add_link(actor=people.lead, case_id=room.pk, kind="MET", source=a.entity_id,
                      target=b.entity_id, evidence_id=item.pk)
    services.add_link(actor=people.lead, case_id=room.pk, kind="MET", source=b.entity_id,
                      target=a.entity_id, evidence_id=item.pk)
    assert Link.objects.get(case=room, kind="MET").count == 2


def test_search_masks_rooms_the_user_may_not_open(api, people, org, room):
    nanjing = make_room(people, org)   # led by `lead`; `outsider` is not in either
    services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                        value="13812345678", label="赵某某的手机")
    services.add_entity(actor=people.lead, case_id=nanjing.pk, kind="phone",
                        value="138 1234 5678", label="车主王某")
    outsider_room = make_room(make_people_in(org), org)
    services.add_entity(actor=outsider_room.created_by, case_id=outsider_room.pk,
                        kind="phone", value="13812345678", label="外县登记人")

    api.force_login(people.member)
    result = api.get("/api/search/?q=+86 138-1234-5678").json()["results"][0]
    assert result["entity"]["key"] == "+8613812345678"
    assert {c["id"] for c in result["cases"]} == {room.pk, nanjing.pk}
    assert result["other_cases"] == 1
    assert result["entity"]["label"] in ("赵某某的手机", "车主王某")

    api.force_login(people.outsider)
    raw = api.get("/api/search/?q=13812345678").content.decode()
    result = api.get("/api/search/?q=13812345678").json()["results"][0]
    assert result["cases"] == [] and result["other_cases"] == 3
    assert result["entity"]["label"] == "+8613812345678"   # no room's label leaks
    for secret in ("赵某某", "车主王某", "外县登记人", room.number, room.title, nanjing.number):
        assert secret not in raw
    assert api.get("/api/search/?q=").status_code == 400
    assert api.get("/api/search/?q=hello").json() == {"results": []}


def make_people_in(org):
    """A second team in the other county (usernames of their own)."""
    from casework.accounts.choices import OrgRole
    from tests.factories import People, make_user

    lead = make_user("far_lead", org.other_brigade)
    return People(lead=lead, member=make_user("far_member", org.other_brigade),
                  observer=make_user("far_observer", org.other_brigade),
                  outsider=make_user("far_outsider", org.brigade),
                  leader=make_user("far_leader", org.other_county, OrgRole.LEADERSHIP),
                  other_leader=make_user("far_other", org.county, OrgRole.LEADERSHIP),
                  patrol=make_user("far_patrol", org.other_brigade, OrgRole.PATROL),
                  spare=make_user("far_spare", org.other_brigade))


def test_merge_keeps_every_link_and_undo_restores(api, people, org, room):
    from casework.core.models import GraphOutbox

    item = evidence(people, room)
    by_number = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                                    value="13812345678", label="号码")
    by_imei = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                                  value="", details={"imei": "490154203237518"},
                                  label="现场手机串号")
    other = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                                value="13987654321")
    link = services.add_link(actor=people.lead, case_id=room.pk, kind="CALLED",
                             source=by_imei.entity_id, target=other.entity_id,
                             evidence_id=item.pk)
    api.force_login(people.member)
    response = api.post(f"/api/cases/{room.pk}/entities/merge/",
                        {"survivor": by_number.entity_id, "merged": by_imei.entity_id,
                         "reason": "同一部手机：串号与号码对应"}, format="json")
    assert response.status_code == 201, response.json()
    merge_id = response.json()["id"]
    # the link row and its provenance are untouched; the graph draws it from the survivor
    link.refresh_from_db()
    assert (link.source_id, link.evidence_id, link.count) == (by_imei.entity_id, item.pk, 1)
    state = GraphOutbox.objects.filter(key=f"link:{link.pk}").order_by("-id").first().state
    assert state["source"] == {"kind": "phone", "key": "+8613812345678"}
    listed = {e["id"]: e for e in api.get(f"/api/cases/{room.pk}/entities/").json()["results"]}
    assert listed[by_imei.entity_id]["merged_into"] == by_number.entity_id
    # a search by the merged key finds the survivor
    found = api.get("/api/search/?q=13812345678").json()["results"]
    assert [r["entity"]["id"] for r in found] == [by_number.entity_id]

    again = api.post(f"/api/cases/{room.pk}/entities/merge/",
                     {"survivor": other.entity_id, "merged": by_imei.entity_id,
                      "reason": "x"}, format="json")
    assert again.status_code == 409

    undone = api.post(f"/api/cases/{room.pk}/entities/merges/{merge_id}/undo/")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    state = GraphOutbox.objects.filter(key=f"link:{link.pk}").order_by("-id").first().state
    assert state["source"] == {"kind": "phone", "key": "imei:490154203237518"}
    assert api.post(f"/api/cases/{room.pk}/entities/merges/{merge_id}/undo/").status_code == 409


def test_merge_refuses_different_kinds_and_outside_entities(api, people, org, room):
    phone = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                                value="13812345678")
    plate = services.add_entity(actor=people.lead, case_id=room.pk, kind="vehicle",
                                value="闽E12345")
    api.force_login(people.member)
    url = f"/api/cases/{room.pk}/entities/merge/"
    response = api.post(url, {"survivor": phone.entity_id, "merged": plate.entity_id,
                              "reason": "?"}, format="json")
    assert response.status_code == 400
    elsewhere = services.add_entity(actor=people.lead, case_id=make_room(people, org).pk,
                                    kind="phone", value="13600001111")
    response = api.post(url, {"survivor": phone.entity_id, "merged": elsewhere.entity_id,
                              "reason": "?"}, format="json")
    assert response.status_code == 400
