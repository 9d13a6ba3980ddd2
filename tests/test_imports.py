"""CSV imports: all rows or none, per-row errors, idempotent re-imports, real data."""

from __future__ import annotations

import time

import pytest

from casework.core.models import GraphOutbox
from casework.entities.models import CallRecord, CaseEntity, Entity, ImportJob, Link, Sighting
from casework.evidence.models import EvidenceItem
from tests import montagna
from tests.factories import CALLS_CSV


def post_import(api, case, text, kind="calls", name="calls.csv", encoding="utf-8"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")
    return api.post(f"/api/cases/{case.pk}/imports/", {"kind": kind, "file": file},
                    format="multipart")


def snapshot():
    return tuple(m.objects.count() for m in (Entity, CaseEntity, Link, CallRecord, Sighting,
                                             EvidenceItem, ImportJob, GraphOutbox))


def test_good_file(api, people, room):
    api.force_login(people.member)
    response = post_import(api, room, CALLS_CSV)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["counts"] == {"rows": 3, "new_records": 3, "duplicates": 0, "phones": 3,
                              "new_in_case": 3, "links_changed": 2}
    link = Link.objects.get(case=room, source__key="+8613812345678",
                            target__key="+8613987654321")
    assert link.kind == "CALLED" and link.count == 2
    assert link.first_seen.isoformat() == "2021-12-03T18:10:00+00:00"
    assert link.last_seen.isoformat() == "2021-12-03T18:40:00+00:00"
    # naive time read as Asia/Shanghai
    third = CallRecord.objects.get(case=room, callee__key="+8613600001111")
    assert third.start_time.isoformat() == "2021-12-03T19:05:00+00:00"
    # the file itself is evidence, and every changed link went to the graph outbox
    assert EvidenceItem.objects.get(pk=body["evidence"]).kind == "call_records"
    assert GraphOutbox.objects.filter(kind="link").count() == 2
    assert GraphOutbox.objects.filter(kind="involvement").count() == 3
    state = GraphOutbox.objects.get(kind="link", key=f"link:{link.pk}").state
    assert state == {
        "id": link.pk, "case_id": room.pk, "kind": "CALLED",
        "source": {"kind": "phone", "key": "+8613812345678"},
        "target": {"kind": "phone", "key": "+8613987654321"},
        "count": 2, "first_seen_ms": int(link.first_seen.timestamp() * 1000),
        "last_seen_ms": int(link.last_seen.timestamp() * 1000),
        "evidence_id": body["evidence"], "version": 1}


def test_reimport_is_idempotent(api, people, room):
    api.force_login(people.member)
    post_import(api, room, CALLS_CSV)
    links = {link.pk: (link.count, link.version) for link in Link.objects.filter(case=room)}
    outbox = GraphOutbox.objects.count()
    again = post_import(api, room, CALLS_CSV).json()
    assert again["counts"]["new_records"] == 0 and again["counts"]["duplicates"] == 3
    assert again["counts"]["links_changed"] == 0
    assert {link.pk: (link.count, link.version)
            for link in Link.objects.filter(case=room)} == links
    assert EvidenceItem.objects.filter(case=room, kind="call_records").count() == 1
    assert GraphOutbox.objects.count() == outbox
    # an overlapping file adds only what is new
    more = CALLS_CSV + "13812345678,13987654321,2021-12-04T05:00:00+08:00,20,PH-003\n"
    counts = post_import(api, room, more).json()["counts"]
    assert counts["new_records"] == 1 and counts["duplicates"] == 3
    assert Link.objects.get(case=room, source__key="+8613812345678",
                            target__key="+8613987654321").count == 3


def test_bad_rows_are_reported_by_line_and_nothing_is_written(api, people, room):
    text = ("caller,callee,start_time,duration_s\n"
            "13812345678,13987654321,2021-12-04T02:10:00+08:00,65\n"   # line 2 fine
            "12345,13987654321,2021-12-04T02:10:00+08:00,65\n"         # line 3 caller
            "\n"                                                        # line 4 blank
            "13812345678,13987654321,yesterday,-5\n"                    # line 5 two errors
            "13812345678,13812345678,2021-12-04T02:10:00+08:00,1\n")   # line 6 self-call
    api.force_login(people.member)
    before = snapshot()
    response = post_import(api, room, text)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (3, "caller"), (5, "start_time"), (5, "duration_s"), (6, "callee")]
    assert all(e["message"] for e in errors)
    assert snapshot() == before


def test_missing_column_is_a_header_error(api, people, room):
    api.force_login(people.member)
    response = post_import(api, room, "caller,callee,duration_s\n1,2,3\n")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 1, "column": "start_time", "message": "required column is missing"}]


def test_chinese_headers_and_gb18030(api, people, room):
    text = ("主叫,被叫,开始时间,通话时长,基站\n"
            "13812345678,13987654321,2021-12-04 02:10:00,65,平和小溪基站\n")
    api.force_login(people.member)
    response = post_import(api, room, text, encoding="gb18030")
    assert response.status_code == 201, response.json()
    assert CallRecord.objects.get(case=room).cell == "平和小溪基站"


def test_sightings_with_chinese_headers(api, people, room):
    text = ("车牌,卡口,时间,纬度,经度,地点\n"
            "闽E·12345,K-PH-01,2021-12-04T03:20:00+08:00,24.37,117.31,平和县城入口卡口\n"
            "闽e 12345,K-PH-01,2021-12-04T04:15:00+08:00,24.37,117.31,平和县城入口卡口\n"
            "闽E12345,K-PH-02,2021-12-04T04:20:00+08:00,24.36,117.30,小溪镇卡口\n"
            "闽E12345,K-PH-02,2021-12-04T04:20:00+08:00,95,117.30,小溪镇卡口\n")
    api.force_login(people.member)
    response = post_import(api, room, text, kind="sightings", name="plates.csv")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 5, "column": "lat", "message": "95 is out of range ±90"}]
    response = post_import(api, room, text.rsplit("闽E12345,K-PH-02", 1)[0], kind="sightings",
                           name="plates.csv")
    assert response.status_code == 201, response.json()
    assert response.json()["counts"]["vehicles"] == 1   # three spellings, one plate
    link = Link.objects.get(case=room, kind="SEEN_AT", target__key="k-ph-01")
    assert link.count == 2
    assert CaseEntity.objects.get(case=room, entity=link.target).label == "平和县城入口卡口"


@pytest.mark.stack
def test_large_file_runs_as_a_celery_task_with_progress(api, live_people, settings,
                                                        celery_worker_process):
    org, people, room = live_people
    settings.IMPORT_SYNC_MAX_BYTES = 1000
    rows = ["caller,callee,start_time,duration_s"] + [
        f"138{n:08d},13987654321,2021-12-04T02:{n % 60:02d}:{n % 59:02d}+08:00,{n}"
        for n in range(12000)]
    api.force_login(people.member)
    response = post_import(api, room, "\n".join(rows) + "\n")
    assert response.status_code == 202, response.json()
    status_url = response.json()["status_url"]
    assert response.json()["status"] == "pending"
    seen = set()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = api.get(status_url).json()
        seen.add(job["status"])
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    assert job["status"] == "succeeded", job["errors"]
    assert job["counts"]["rows"] == 12000 and job["rows_done"] == 12000
    assert CallRecord.objects.filter(case=room).count() == 12000

    bad = rows[:5000] + ["13812345678,13987654321,not-a-time,5"] + rows[5000:]
    response = post_import(api, room, "\n".join(bad) + "\n")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = api.get(response.json()["status_url"]).json()
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    assert job["status"] == "failed"
    assert job["errors"] == [{"row": 5001, "column": "start_time",
                              "message": "not an ISO 8601 time: 'not-a-time'"}]


def test_import_command(people, room, tmp_path, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    good = tmp_path / "calls.csv"
    good.write_text(CALLS_CSV)
    call_command("import_calls", str(good), "--case", room.number)
    assert '"new_records": 3' in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("plate,camera,seen_at,lat,lon\nX,K1,2021-12-04T03:20:00+08:00,1,2\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_sightings", str(bad), "--case", room.number)


def test_montagna_phone_calls(people, room):
    job = montagna.load_calls(actor=people.lead, case_id=room.pk)
    assert job.counts["rows"] == 276            # every call in the file
    assert job.counts["phones"] == 100          # one phone per person: 100 people
    links = Link.objects.filter(case=room, kind="CALLED")
    assert links.count() == 150                 # directed, as listed
    pairs = {frozenset((link.source_id, link.target_id)) for link in links}
    assert len(pairs) == 124                    # undirected contact pairs (README)
    assert sum(link.count for link in links) == 276


def test_montagna_meetings(people, room):
    ids = montagna.load_meetings(actor=people.lead, case_id=room.pk)
    assert len(ids) == 101
    links = Link.objects.filter(case=room, kind="MET")
    assert links.count() == 256                 # undirected pairs, duplicates summed
    assert sum(link.count for link in links) == 456
