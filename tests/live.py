"""Real server processes for tests: the ASGI server (uvicorn) and a Celery worker, started
against the test database so they see what transactional tests commit."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def server_env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1"}


@dataclass
class Server:
    proc: subprocess.Popen
    log: Path
    port: int | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _spawn(args: list[str], name: str, env: dict | None = None) -> Server:
    log = Path(tempfile.mkstemp(prefix=f"casework-{name}-", suffix=".log")[1])
    proc = subprocess.Popen(args, cwd=ROOT, env=env or server_env(),
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
    return Server(proc, log)


def start_asgi() -> Server:
    port = free_port()
    # The production settings (casework/devstack, docker/) but for the access log. No
    # permessage-deflate: a push is a ~1 KB JSON frame; compressing it cost the server CPU
    # on every push (and the terminals on every receipt) and ~35 KB of zlib state per
    # connection (bench/push_latency.py: 1,000 terminals, 173 MB with it, 138 MB without).
    server = _spawn([sys.executable, "-m", "uvicorn", "casework.asgi:application",
                     "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
                     "--ws-per-message-deflate", "false", "--no-access-log"], "asgi")
    server.port = port
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError("ASGI server exited:\n" + server.output())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("ASGI server did not start:\n" + server.output())


def start_worker(*extra: str) -> Server:
    server = _spawn([sys.executable, "-m", "celery", "-A", "casework", "worker", "-l", "INFO",
                     "--concurrency", "1", "--without-gossip", "--without-mingle",
                     "-n", f"test-{os.getpid()}-{free_port()}@%h", *extra], "worker")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError("Celery worker exited:\n" + server.output())
        if " ready." in server.log.read_text(errors="replace"):
            return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError("Celery worker did not become ready:\n" + server.output())


def start_beat(schedule_dir: str) -> Server:
    """Celery beat with the project's schedule (the graph drain every second)."""
    server = _spawn([sys.executable, "-m", "celery", "-A", "casework", "beat", "-l", "INFO",
                     "--pidfile=", "-s", f"{schedule_dir}/beat-schedule"], "beat")
    time.sleep(1)
    if server.proc.poll() is not None:
        raise RuntimeError("Celery beat exited:\n" + server.output())
    return server


@contextmanager
def shared_celery_paused():
    """SIGSTOP the run's shared Celery worker and beat (if they were started), SIGCONT
    afterwards: a test with a private graph server or its own worker must not have the
    shared worker drain the same outbox table into the run's graph, or sweep its rows."""
    import signal

    import psutil

    me = psutil.Process(os.getpid())
    paused = [p for p in me.children(recursive=True) if "celery" in " ".join(p.cmdline())]
    for p in paused:
        p.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for p in paused:
            p.send_signal(signal.SIGCONT)
