"""Photos from the field (`POST /api/assignments/<id>/photos/`): a patrol officer adds
a photo to the case under their unit's assignment, with the evidence app's own writes
(SHA-256, custody, audit, room event); everyone else is refused and nothing is written."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.conf import settings

from casework.core.models import AuditEntry
from casework.dispatch import services
from casework.evidence.models import EvidenceItem
from casework.rooms import services as room_services
from casework.rooms.models import RoomEvent
from tests.factories import PNG, csv_upload, make_user, png_upload


def issue(people, room, org):
    return services.issue_instruction(actor=people.lead, case_id=room.pk, kind="capture",
                                      units=[org.patrol_unit.pk], text="抓捕赖某某"
                                      ).assignments.get()


def stored_files() -> list[str]:
    root = os.path.join(settings.MEDIA_ROOT, "evidence")
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


def test_the_units_officer_adds_a_photo(api, people, org, room):
    a = issue(people, room, org)
    api.force_login(people.patrol)
    r = api.post(f"/api/assignments/{a.pk}/photos/",
                 {"file": png_upload(), "description": "抓获现场", "lat": 24.36, "lon": 117.31},
                 format="multipart")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest() and body["case_id"] == room.pk
    item = EvidenceItem.objects.get(pk=body["id"])
    assert item.kind == "photo" and item.collected_by == people.patrol
    assert item.source_unit_id == org.patrol_unit.pk and item.lat == 24.36
    assert item.custody.count() == 1
    assert AuditEntry.objects.filter(action="evidence.added", case_id=room.pk,
                                     object_id=str(item.pk)).exists()
    assert RoomEvent.objects.filter(case=room, type="evidence.added").exists()
    # without a description it says where it came from
    r = api.post(f"/api/assignments/{a.pk}/photos/", {"file": png_upload("b.png")},
                 format="multipart")
    assert r.status_code == 201 and "901" in r.json()["description"]


@pytest.mark.parametrize("who, expected", [
    ("anonymous", 401), ("outsider", 404), ("other_patrol", 404), ("member", 403),
    ("lead", 403),
])
def test_only_the_units_officers(api, people, org, room, who, expected):
    a = issue(people, room, org)
    if who == "other_patrol":
        from tests.test_dispatch import patrol_unit

        api.force_login(make_user("p2", patrol_unit(org, "902"), "patrol"))
    elif who != "anonymous":
        api.force_login(getattr(people, who))
    before = stored_files()
    r = api.post(f"/api/assignments/{a.pk}/photos/", {"file": png_upload()},
                 format="multipart")
    assert r.status_code == expected, r.content
    assert not EvidenceItem.objects.exists() and stored_files() == before


def test_refusals_write_nothing(api, people, org, room):
    a = issue(people, room, org)
    api.force_login(people.patrol)
    before = stored_files()
    assert api.post(f"/api/assignments/{a.pk}/photos/", {"description": "x"},
                    format="multipart").status_code == 400
    assert api.post(f"/api/assignments/{a.pk}/photos/",
                    {"file": csv_upload("a,b\n1,2\n", "calls.csv")},
                    format="multipart").status_code == 400          # not an image
    assert api.post("/api/assignments/999999/photos/", {"file": png_upload()},
                    format="multipart").status_code == 404
    room_services.close_case(actor=people.lead, case_id=room.pk)
    assert api.post(f"/api/assignments/{a.pk}/photos/", {"file": png_upload()},
                    format="multipart").status_code == 409
    assert not EvidenceItem.objects.exists() and stored_files() == before
