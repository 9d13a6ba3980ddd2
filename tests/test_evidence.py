"""Evidence: upload, hashing, type checks, download verification, versions, custody."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.core.models import AuditEntry
from casework.evidence import custody, services
from casework.evidence.models import CustodyEntry, EvidenceItem
from tests.factories import PNG, make_room, png_upload


def upload(api, case, **extra):
    body = {"kind": "photo", "description": "店内监控截图：嫌疑人撬门", "file": png_upload(),
            "place": "平和县小溪镇", "lat": 24.36, "lon": 117.31, **extra}
    return api.post(f"/api/cases/{case.pk}/evidence/", body, format="multipart")


def media_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_upload_hash_and_verified_download(api, people, room):
    api.force_login(people.member)
    response = upload(api, room)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert body["size"] == len(PNG) and body["content_type"] == "image/png"
    assert body["collected_by"]["username"] == "member"
    assert body["source_unit"] == people.member.unit_id

    download = api.get(f"/api/cases/{room.pk}/evidence/{body['id']}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["X-Content-SHA256"] == body["sha256"]
    api.get(f"/api/cases/{room.pk}/evidence/{body['id']}/")
    actions = set(AuditEntry.objects.filter(object_id=str(body["id"]),
                                            object_type="evidence.evidenceitem")
                  .values_list("action", flat=True))
    assert {"evidence.added", "evidence.downloaded", "evidence.viewed"} <= actions
    timeline = [e["type"] for e in api.get(f"/api/cases/{room.pk}/timeline/").json()["results"]]
    assert "evidence.added" in timeline


def test_file_altered_on_disk_is_detected_and_not_served(api, people, room):
    api.force_login(people.member)
    item_id = upload(api, room).json()["id"]
    item = EvidenceItem.objects.get(pk=item_id)
    Path(item.file.path).write_bytes(PNG[:-1] + b"\x00")  # one byte changed

    response = api.get(f"/api/cases/{room.pk}/evidence/{item_id}/download/")
    assert response.status_code == 409
    assert "Integrity" in response.json()["detail"] or "SHA-256" in response.json()["detail"]
    assert AuditEntry.objects.filter(action="evidence.integrity_failed",
                                     object_id=str(item_id)).exists()
    report = api.get(f"/api/cases/{room.pk}/custody/verify/").json()
    assert report["ok"] is False
    assert any("file altered" in p for p in report["items"][0]["problems"])


@pytest.mark.parametrize(("name", "content", "message"), [
    ("scene.jpg", b"this is not an image at all", "named .jpg"),
    ("scene.jpg", PNG.replace(b"PNG", b"XYZ"), "named .jpg"),
    ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64, "not accepted"),
    ("notes.bin", "笔记".encode() * 10, "must be named .txt or .csv"),
])
def test_refused_uploads_leave_nothing(api, people, room, name, content, message):
    api.force_login(people.member)
    before = (EvidenceItem.objects.count(), CustodyEntry.objects.count(), len(media_files()))
    response = upload(api, room, file=SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert message in " ".join(response.json()["file"])
    assert (EvidenceItem.objects.count(), CustodyEntry.objects.count(),
            len(media_files())) == before


def test_size_limit(api, people, room, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 50
    api.force_login(people.member)
    response = upload(api, room)
    assert response.status_code == 400 and "larger than the limit" in response.json()["file"][0]


def test_png_named_jpg_is_allowed_as_an_image(api, people, room):
    # the content must be an image; which image format the name says matters less
    api.force_login(people.member)
    response = upload(api, room, file=SimpleUploadedFile("photo.jpg", PNG))
    assert response.status_code == 201


def test_evidence_without_file(api, people, room):
    api.force_login(people.member)
    response = api.post(f"/api/cases/{room.pk}/evidence/",
                        {"kind": "witness_statement", "description": "早餐店老板证言"},
                        format="multipart")
    assert response.status_code == 201
    assert response.json()["sha256"] == "" and response.json()["has_file"] is False


def test_corrections_are_new_versions_and_withdrawal_keeps_the_item(api, people, room):
    api.force_login(people.member)
    first = upload(api, room).json()
    corrected = api.post(f"/api/cases/{room.pk}/evidence/{first['id']}/correct/",
                         {"description": "更正：截图时间为04:05"}, format="multipart")
    assert corrected.status_code == 201
    second = corrected.json()
    assert second["version"] == 2 and second["supersedes"] == first["id"]
    assert second["sha256"] == first["sha256"]   # the same file carries over
    assert EvidenceItem.objects.get(pk=first["id"]).status == "superseded"
    again = api.post(f"/api/cases/{room.pk}/evidence/{first['id']}/correct/",
                     {"description": "x"}, format="multipart")
    assert again.status_code == 409

    withdrawn = api.post(f"/api/cases/{room.pk}/evidence/{second['id']}/withdraw/",
                         {"reason": "与本案无关"}, format="json")
    assert withdrawn.json()["status"] == "withdrawn"
    assert api.post(f"/api/cases/{room.pk}/evidence/{second['id']}/withdraw/",
                    {"reason": "again"}, format="json").status_code == 409
    assert EvidenceItem.objects.filter(case=room).count() == 2   # nothing deleted
    assert api.post(f"/api/cases/{room.pk}/evidence/{second['id']}/withdraw/", {},
                    format="json").status_code == 400


def test_evidence_ids_of_another_room_are_not_found(api, people, org, room):
    api.force_login(people.member)
    item_id = upload(api, room).json()["id"]
    other = make_room(people, org)
    for path in (f"/api/cases/{other.pk}/evidence/{item_id}/",
                 f"/api/cases/{other.pk}/evidence/{item_id}/download/",
                 f"/api/cases/{other.pk}/evidence/{item_id}/custody/"):
        assert api.get(path).status_code == 404
    api.force_login(people.outsider)
    for path in (f"/api/cases/{room.pk}/evidence/{item_id}/",
                 f"/api/cases/{room.pk}/evidence/{item_id}/download/"):
        response = api.get(path)
        assert response.status_code == 404
        assert b"sha256" not in response.content


def _chain(people, room, transfers=3):
    item = services.add_evidence(actor=people.member, case_id=room.pk, kind="physical_item",
                                 description="撬棍一根", upload=png_upload())
    for n in range(transfers):
        services.transfer_custody(actor=people.member, case_id=room.pk, evidence_id=item.pk,
                                  to_holder=f"保管人{n}", reason="移交")
    return EvidenceItem.objects.get(pk=item.pk)


def test_custody_chain_appends_and_verifies(api, people, room):
    item = _chain(people, room)
    api.force_login(people.observer)
    log = api.get(f"/api/cases/{room.pk}/evidence/{item.pk}/custody/").json()
    assert [e["seq"] for e in log] == [1, 2, 3, 4]
    assert log[1]["from_holder"] == log[0]["to_holder"]
    assert custody.verify_item(item).ok


def test_edited_middle_entry_is_detected_even_with_later_macs_recomputed(people, room):
    item = _chain(people, room)
    entries = list(CustodyEntry.objects.filter(evidence=item).order_by("seq"))
    # someone with database access but not the key rewrites entry 2 and re-chains the rest
    forged_key = b"not-the-real-key"
    prev = entries[0].mac
    for entry in entries[1:]:
        if entry.seq == 2:
            entry.to_holder = "伪造的保管人"
        entry.prev_mac = prev
        body = json.dumps({"seq": entry.seq, "to": entry.to_holder, "prev": prev}).encode()
        entry.mac = hmac.new(forged_key, body, hashlib.sha256).hexdigest()
        entry.save()
        prev = entry.mac
    report = custody.verify_item(item)
    assert not report.ok
    assert "entry 2 was altered" in report.problems


def test_deleted_middle_entry_is_detected(people, room):
    item = _chain(people, room)
    CustodyEntry.objects.filter(evidence=item, seq=2).delete()
    report = custody.verify_item(item)
    assert not report.ok
    assert any("entry 2 is missing" in p for p in report.problems)


def test_custody_command_verifies_a_room(people, room, capsys):
    from django.core.management import call_command

    item = _chain(people, room, transfers=1)
    call_command("verify_custody", "--case", room.number)
    assert "1 items, all chains intact" in capsys.readouterr().out
    CustodyEntry.objects.filter(evidence=item, seq=2).update(to_holder="篡改")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_custody", "--case", room.number)
    assert exit_info.value.code == 1
    assert "entry 2 was altered" in capsys.readouterr().out
