"""Shared helpers for benchmarks: machine description, percentiles, a bench database."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.node()} · {os.cpu_count()} cores · {cpu} · {mem:.0f} GiB · "
            f"Python {platform.python_version()} · {platform.system()} {platform.release()}")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(name: str, samples_s: list[float]) -> dict:
    ms = [s * 1000 for s in samples_s]
    return {"name": name, "n": len(ms), "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(pct(ms, 95), 2), "p99_ms": round(pct(ms, 99), 2),
            "mean_ms": round(statistics.fmean(ms), 2)}


def timed(fn, repeat: int, warmup: int = 10) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def use_bench_database(name: str = "casework_bench") -> str:
    """Point DATABASE_URL at a separate database on the same server (created if missing),
    kept between runs so a 1,000,000-row seed is paid once."""
    url = os.environ["DATABASE_URL"]
    parts = urlsplit(url)
    bench_url = urlunsplit(parts._replace(path=f"/{name}"))
    admin = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return bench_url


def git_rev() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                       text=True).strip()
    except Exception:
        return "unknown"


def investigator_with_case(unit_name: str, username: str, number_prefix: str, title: str):
    """An investigator of a unit of their own (made on the first run) with a new case room
    and an API token: (case, token)."""
    import time
    from datetime import UTC, datetime

    from casework.accounts.choices import OrgRole, UnitKind
    from casework.accounts.models import Unit, User
    from casework.accounts.services import issue_api_token
    from casework.rooms import services

    unit = Unit.objects.filter(name=unit_name).first() or Unit.objects.add_root(
        {"name": unit_name, "kind": UnitKind.COUNTY_BUREAU})
    user, _ = User.objects.get_or_create(username=username, defaults={
        "unit": unit, "org_role": OrgRole.INVESTIGATOR})
    case = services.create_case(actor=user, number=f"{number_prefix}-{time.time_ns()}",
                                title=title, category="theft",
                                reported_at=datetime.now(UTC), owning_unit=user.unit)
    _, token = issue_api_token(user=user)
    return case, token
