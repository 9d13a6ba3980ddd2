"""Case rooms over the API: happy paths, bad input, closed rooms, nothing half-written."""

from __future__ import annotations

import pytest

from casework.core.models import AuditEntry
from casework.rooms.models import Case, Membership, Message, RoomEvent

GOOD = {"number": "12.4 Pinghe Theft", "title": "平和县小溪镇手机店被盗案",
        "category": "burglary", "reported_at": "2021-12-04T04:43:00+08:00",
        "reported_loss": "12800.00", "location": "平和县小溪镇"}


def counts():
    return (Case.objects.count(), Membership.objects.count(), RoomEvent.objects.count(),
            AuditEntry.objects.count())


def test_create_case_makes_the_creator_lead(api, people, org):
    api.force_login(people.lead)
    response = api.post("/api/cases/", GOOD, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == "12.4 Pinghe Theft" and body["status"] == "open"
    assert body["reported_at"] == "2021-12-04T04:43:00+08:00"
    assert body["reported_loss"] == "12800.00"
    assert body["owning_unit"] == people.lead.unit_id
    case = Case.objects.get(pk=body["id"])
    assert Membership.objects.get(case=case).role == "lead"
    timeline = api.get(f"/api/cases/{case.pk}/timeline/").json()["results"]
    assert [e["type"] for e in timeline] == ["case.opened"]


def test_naive_alarm_time_is_read_as_shanghai_time(api, people, org):
    api.force_login(people.lead)
    body = api.post("/api/cases/", {**GOOD, "reported_at": "2021-12-04T04:43:00"},
                    format="json").json()
    assert body["reported_at"] == "2021-12-04T04:43:00+08:00"


@pytest.mark.parametrize(("change", "field"), [
    ({"number": ""}, "number"),
    ({"title": None}, "title"),
    ({"category": "arson"}, "category"),
    ({"reported_at": "yesterday"}, "reported_at"),
    ({"reported_at": "2099-01-01T00:00:00+08:00"}, "reported_at"),
    ({"reported_loss": "-5"}, "reported_loss"),
    ({"reported_loss": "lots"}, "reported_loss"),
    ({"owning_unit": 10**9}, "owning_unit"),
])
def test_bad_fields_get_400_with_field_messages_and_nothing_written(api, people, org, change,
                                                                    field):
    api.force_login(people.lead)
    before = counts()
    response = api.post("/api/cases/", {**GOOD, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert counts() == before


def test_missing_fields(api, people, org):
    api.force_login(people.lead)
    response = api.post("/api/cases/", {}, format="json")
    assert response.status_code == 400
    assert {"number", "title", "category", "reported_at", "reported_loss"} <= set(
        response.json())


def test_owning_unit_outside_the_bureau_is_refused(api, people, org):
    api.force_login(people.lead)
    response = api.post("/api/cases/", {**GOOD, "owning_unit": org.foreign_city.pk},
                        format="json")
    assert response.status_code == 400 and "owning_unit" in response.json()


def test_duplicate_number_is_a_clear_400(api, people, org):
    api.force_login(people.lead)
    assert api.post("/api/cases/", GOOD, format="json").status_code == 201
    before = counts()
    api.force_login(people.outsider)
    response = api.post("/api/cases/", {**GOOD, "title": "另一个"}, format="json")
    assert response.status_code == 400
    assert response.json()["number"] == ["A case with this number already exists."]
    assert counts() == before


def test_list_search_and_status_filters(api, people, org):
    from tests.factories import make_room

    a = make_room(people, org, number="12.4 Pinghe Theft")
    b = make_room(people, org, number="12.3 Nanjing Vehicle Theft")
    api.force_login(people.lead)
    api.post(f"/api/cases/{b.pk}/close/")
    numbers = lambda q: [c["number"] for c in api.get(f"/api/cases/{q}").json()["results"]]  # noqa: E731
    assert numbers("?search=pinghe") == [a.number]
    assert numbers("?search=测试手机店") == [b.number, a.number]
    assert numbers("?status=closed") == [b.number]
    assert numbers("?status=open") == [a.number]
    assert api.get("/api/cases/?status=frozen").status_code == 400


def test_messages_ascending_with_after(api, people, room):
    api.force_login(people.member)
    ids = [api.post(f"/api/cases/{room.pk}/messages/", {"text": t}, format="json").json()["id"]
           for t in ("一", "二", "三")]
    listed = api.get(f"/api/cases/{room.pk}/messages/").json()["results"]
    assert [m["id"] for m in listed] == ids
    later = api.get(f"/api/cases/{room.pk}/messages/?after={ids[0]}").json()["results"]
    assert [m["text"] for m in later] == ["二", "三"]
    assert api.get(f"/api/cases/{room.pk}/messages/?after=x").status_code == 400


@pytest.mark.parametrize("text", ["", "   ", "x" * 4001])
def test_bad_messages(api, people, room, text):
    api.force_login(people.member)
    before = Message.objects.count()
    response = api.post(f"/api/cases/{room.pk}/messages/", {"text": text}, format="json")
    assert response.status_code == 400 and "text" in response.json()
    assert Message.objects.count() == before


def test_closed_room_refuses_writes_and_says_why(api, people, room):
    api.force_login(people.lead)
    assert api.post(f"/api/cases/{room.pk}/close/").json()["status"] == "closed"
    before = counts()
    for who, method, path, body in [
        ("member", "post", f"/api/cases/{room.pk}/messages/", {"text": "hi"}),
        ("lead", "post", f"/api/cases/{room.pk}/members/",
         {"user": people.spare.pk, "role": "member"}),
        ("lead", "patch", f"/api/cases/{room.pk}/", {"title": "x"}),
        ("lead", "post", f"/api/cases/{room.pk}/close/", None),
    ]:
        api.force_login(getattr(people, who))
        response = getattr(api, method)(path, body, format="json")
        assert response.status_code == 409, (path, response.json())
        assert response.json()["detail"]
    assert counts() == before
    api.force_login(people.member)
    assert api.get(f"/api/cases/{room.pk}/messages/").status_code == 200
    api.force_login(people.lead)
    assert api.post(f"/api/cases/{room.pk}/reopen/").json()["status"] == "open"


def test_member_management(api, people, room):
    api.force_login(people.lead)
    added = api.post(f"/api/cases/{room.pk}/members/",
                     {"user": people.spare.pk, "role": "member", "can_dispatch": True},
                     format="json")
    assert added.status_code == 201 and added.json()["can_dispatch"] is True
    again = api.post(f"/api/cases/{room.pk}/members/",
                     {"user": people.spare.pk, "role": "member"}, format="json")
    assert again.status_code == 400 and "user" in again.json()
    bad_role = api.post(f"/api/cases/{room.pk}/members/",
                        {"user": people.outsider.pk, "role": "boss"}, format="json")
    assert bad_role.status_code == 400 and "role" in bad_role.json()
    mid = added.json()["id"]
    changed = api.patch(f"/api/cases/{room.pk}/members/{mid}/", {"role": "observer"},
                        format="json")
    assert changed.json()["role"] == "observer" and changed.json()["can_dispatch"] is False
    assert api.delete(f"/api/cases/{room.pk}/members/{mid}/").status_code == 204
    assert api.delete(f"/api/cases/{room.pk}/members/{mid}/").status_code == 404
    types = [e["type"] for e in api.get(f"/api/cases/{room.pk}/timeline/").json()["results"]]
    assert types[-3:] == ["member.added", "member.changed", "member.removed"]


def test_list_query_count_does_not_grow_with_rooms(api, people, org,
                                                  django_assert_max_num_queries):
    from tests.factories import make_room

    api.force_login(people.member)
    make_room(people, org)
    with django_assert_max_num_queries(8) as few:
        api.get("/api/cases/")
    for _ in range(10):
        make_room(people, org)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/api/cases/").json()["count"] == 11


@pytest.mark.parametrize("path", ["/api/units/?search=a%00b", "/api/users/?username=a%00b",
                                  "/api/cases/?search=a%00b", "/api/search/?q=1%0038"])
def test_nul_characters_in_query_parameters_are_a_400(api, people, path):
    api.force_login(people.member)
    response = api.get(path)
    assert response.status_code == 400
    assert "Null characters" in response.json()["detail"]


def test_nul_characters_in_entity_details_are_a_400(api, people, room):
    api.force_login(people.member)
    response = api.post(f"/api/cases/{room.pk}/entities/",
                        {"kind": "vehicle", "value": "闽E12345", "details": {"x": "a\x00b"}},
                        format="json")
    assert response.status_code == 400
