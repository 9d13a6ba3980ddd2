"""Upload of a 50 MB video as evidence (issue 4): time, and the ASGI server process's peak
memory, which must not grow with the file (Django spools request bodies and uploads above
FILE_UPLOAD_MAX_MEMORY_SIZE to temporary files; hashing and storing read 1 MiB chunks).
Baseline in the same run: a 1 MB upload. Peak memory is VmHWM of the server process
(/proc/<pid>/status), read after each upload, against its resident size before.

    python bench/upload.py --mb 50
"""

from __future__ import annotations

import argparse
import json
import os
import time

from common import git_rev, investigator_with_case, machine, use_bench_database


def fake_mp4(size: int) -> bytes:
    # an ISO-BMFF "ftyp" box so the content is detected as video/mp4, then noise
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return head + os.urandom(size - len(head))


def vm(pid: int, field: str) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=50)
    args = parser.parse_args()
    use_bench_database()
    import httpx

    from tests.live import start_asgi

    case, token = investigator_with_case("上传县局", "uploader", "UPLOAD", "上传")
    server = start_asgi()
    rows = []
    try:
        client = httpx.Client(base_url=server.http, timeout=300,
                              headers={"Authorization": f"Token {token}"})
        client.get("/healthz")
        for mb in (1, args.mb):
            data = fake_mp4(mb * 2**20)
            before = vm(server.proc.pid, "VmRSS")
            t = time.perf_counter()
            response = client.post(f"/api/cases/{case.pk}/evidence/",
                                   data={"kind": "video", "description": f"{mb} MB 视频"},
                                   files={"file": ("cctv.mp4", data, "video/mp4")})
            seconds = time.perf_counter() - t
            assert response.status_code == 201, response.text
            peak = vm(server.proc.pid, "VmHWM")
            rows.append({"mb": mb, "seconds": round(seconds, 2),
                         "mb_per_s": round(mb / seconds, 1),
                         "server_rss_before_mb": round(before / 2**20, 1),
                         "server_peak_rss_mb": round(peak / 2**20, 1),
                         "peak_minus_before_mb": round((peak - before) / 2**20, 1),
                         "sha256_ok": response.json()["sha256"] == __import__(
                             "hashlib").sha256(data).hexdigest()})
    finally:
        server.stop()
    print(json.dumps({"bench": "evidence_upload", "machine": machine(), "rev": git_rev(),
                      "results": rows, "counts": args.mb >= 50}, ensure_ascii=False,
                     indent=2))


if __name__ == "__main__":
    main()
