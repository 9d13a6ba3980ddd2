"""The prosecution bundle: files, hashes, custody, timeline, entities; its hash audited."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

from casework.core.models import AuditEntry
from casework.entities import imports
from casework.evidence import services
from casework.evidence.models import EvidenceItem
from tests.factories import CALLS_CSV, PNG, png_upload


def test_bundle_contents_and_audited_hash(api, people, room):
    photo = services.add_evidence(actor=people.member, case_id=room.pk, kind="photo",
                                  description="撬痕", upload=png_upload())
    services.transfer_custody(actor=people.member, case_id=room.pk, evidence_id=photo.pk,
                              to_holder="物证室", reason="入库")
    imports.import_now(actor=people.lead, case_id=room.pk, kind="calls",
                       data=CALLS_CSV.encode(), name="calls.csv")
    api.force_login(people.observer)
    response = api.get(f"/api/cases/{room.pk}/bundle/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    data = b"".join(response.streaming_content)
    digest = hashlib.sha256(data).hexdigest()
    assert response["X-Content-SHA256"] == digest
    assert AuditEntry.objects.get(action="bundle.created", case_id=room.pk).detail[
        "sha256"] == digest

    z = zipfile.ZipFile(io.BytesIO(data))
    names = set(z.namelist())
    assert {"README.txt", "manifest.json", "manifest.csv", "timeline.csv", "entities.csv",
            "links.csv", f"custody/{photo.pk}.json"} <= names
    manifest = json.loads(z.read("manifest.json"))
    by_id = {m["id"]: m for m in manifest}
    assert z.read(by_id[photo.pk]["file"]) == PNG
    for m in manifest:
        if m["file"]:
            assert hashlib.sha256(z.read(m["file"])).hexdigest() == m["sha256"]
        assert m["custody_verified"] is True
    assert by_id[photo.pk]["kind_label"] == "照片 / Photo"
    custody_log = json.loads(z.read(f"custody/{photo.pk}.json"))
    assert [e["to"] for e in custody_log["entries"]][-1] == "物证室"
    timeline = list(csv.reader(io.StringIO(z.read("timeline.csv").decode("utf-8-sig"))))
    assert ["证据录入 / Evidence added"] == [r[3] for r in timeline if r[2] == "evidence.added"][:1]
    entities = z.read("entities.csv").decode("utf-8-sig")
    assert "+8613812345678" in entities
    assert "案件证据包 / Case evidence bundle" in z.read("README.txt").decode()


def test_bundle_refused_when_a_file_was_altered(api, people, room):
    photo = services.add_evidence(actor=people.member, case_id=room.pk, kind="photo",
                                  description="撬痕", upload=png_upload())
    Path(EvidenceItem.objects.get(pk=photo.pk).file.path).write_bytes(b"tampered")
    api.force_login(people.lead)
    response = api.get(f"/api/cases/{room.pk}/bundle/")
    assert response.status_code == 409
    assert str(photo.pk) in response.json()["detail"]
    assert AuditEntry.objects.filter(action="bundle.refused", case_id=room.pk).exists()
