"""`make demo` and `make test` behind the scenes.

    python -m casework.devstack demo [--port 8000] [--data .demo]
    python -m casework.devstack test [-- pytest arguments]
    python -m casework.devstack run -- COMMAND [ARGS…]

demo: embedded PostgreSQL and Redis+FalkorDB as child processes, migrations, the demo
scenario, then the ASGI server, a Celery worker and beat; one Ctrl-C stops them all.
test / run: the servers DATABASE_URL / REDIS_URL / GRAPH_URL name, or embedded ones for
those unset (in a temporary folder), then pytest or the command.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from casework.devstack.servers import (
    Child,
    EmbeddedPostgres,
    EmbeddedRedis,
    remove_tree,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def _interrupt(signum, frame) -> None:
    """SIGINT/SIGTERM end the main loop the same way: stop every child, in order."""
    raise KeyboardInterrupt


def say(text: str) -> None:
    print(f"[casework] {text}", flush=True)


class Supervisor:
    """Owns every child process and stops them all, in reverse order, exactly once."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self.stopping = False

    def add(self, child: Child) -> Child:
        self.children.append(child)
        return child

    def spawn(self, name: str, args: list[str], env: dict, log: Path | None = None) -> Child:
        out = open(log, "ab") if log else None  # noqa: SIM115 - lives as long as the child
        proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT if out else None)
        return self.add(Child(name, proc, log))

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        for child in reversed(self.children):
            if child.proc.poll() is None:
                try:
                    child.proc.send_signal(signal.SIGINT if child.name == "postgres"
                                           else signal.SIGTERM)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 15
            while child.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if child.proc.poll() is None:
                say(f"{child.name} did not stop in 15 s: killing it")
                child.proc.kill()
                child.proc.wait()


def start_servers(sup: Supervisor, data: Path, *, persist: bool, want_pg: bool,
                  want_redis: bool) -> dict[str, str]:
    env: dict[str, str] = {}
    data.mkdir(parents=True, exist_ok=True)
    if want_pg:
        t = time.monotonic()
        pg = EmbeddedPostgres(data / "pg", data / "logs" / "postgres.log")
        env["DATABASE_URL"] = pg.start()
        sup.add(pg.child)
        say(f"PostgreSQL 18 (embedded) on 127.0.0.1:{pg.port} in {time.monotonic() - t:.1f} s")
    if want_redis:
        t = time.monotonic()
        (data / "logs").mkdir(parents=True, exist_ok=True)
        redis = EmbeddedRedis(data / "redis", data / "logs" / "redis.log", persist=persist)
        url = redis.start()
        sup.add(redis.child)
        env["EMBEDDED_REDIS_URL"] = url
        say(f"Redis 8 + FalkorDB (embedded) on 127.0.0.1:{redis.port} in "
            f"{time.monotonic() - t:.1f} s")
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], env=env, cwd=ROOT, check=True)


def demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="casework.devstack demo")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--data", type=Path, default=ROOT / ".demo")
    args = parser.parse_args(argv)
    data = args.data.resolve()
    sup = Supervisor()
    # Ctrl-C reaches every child of the terminal's process group as well; we stop the
    # ones still running, in order, and wait for all of them.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        servers = start_servers(sup, data, persist=True, want_pg=True, want_redis=True)
        secret_file = data / "secret_key"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_urlsafe(50))
        redis_url = servers.pop("EMBEDDED_REDIS_URL")
        env = {
            **os.environ, **servers,
            "REDIS_URL": redis_url,
            "GRAPH_URL": redis_url.replace("redis://", "falkordb://").rsplit("/", 1)[0],
            "SECRET_KEY": secret_file.read_text().strip(),
            "DEBUG": os.environ.get("DEBUG", "false"),
            "PORT": str(args.port),
            "MEDIA_ROOT": str(data / "media"),
            "STATIC_ROOT": str(data / "static"),
            "PYTHONUNBUFFERED": "1",
        }
        logs = data / "logs"
        say("migrating the database")
        manage(env, "migrate", "--noinput", "-v", "0")
        say("loading the demo scenario (adds whatever is missing)")
        manage(env, "load_demo")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        # the server settings tests/live.py starts (and bench/push_latency.py measures);
        # no permessage-deflate: see the note there
        web = sup.spawn("web", [PY, "-m", "uvicorn", "casework.asgi:application",
                                "--host", "127.0.0.1", "--port", str(args.port),
                                "--lifespan", "off", "--ws-per-message-deflate", "false"],
                        env, logs / "web.log")
        sup.spawn("worker", [PY, "-m", "celery", "-A", "casework", "worker", "-l", "INFO",
                             "--concurrency", "2", "-n", "demo@%h"], env, logs / "worker.log")
        sup.spawn("beat", [PY, "-m", "celery", "-A", "casework", "beat", "-l", "INFO",
                           "--pidfile="], env, logs / "beat.log")
        wait_for_port(args.port, 60, web.proc, "the ASGI server")
        say(f"Casework is up: http://127.0.0.1:{args.port}/   (health: /healthz, API docs: "
            "/api/docs/)")
        say("log in as lead / investigator / observer / outsider / patrol / leader / "
            "county_leader / admin — password: casework-demo")
        say(f"logs in {logs}; Ctrl-C stops everything")
        while True:
            if web.proc.poll() is not None:
                say(f"the ASGI server exited ({web.proc.returncode}); see {web.log}")
                return 1
            for child in sup.children:
                if child.proc.poll() is not None and not getattr(child, "reported", False):
                    say(f"{child.name} exited with {child.proc.returncode}")
                    child.reported = True  # type: ignore[attr-defined]
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping")
        return 0
    except subprocess.CalledProcessError as exc:
        say(f"setup step failed: {' '.join(map(str, exc.cmd))}")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sup.stop()
        say("stopped")


def test(argv: list[str]) -> int:
    """pytest with the given arguments, on the configured or embedded servers."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    return run([PY, "-m", "pytest", *argv])


def run_command(argv: list[str]) -> int:
    """Any command (benchmarks, manage.py) on the configured or embedded servers."""
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m casework.devstack run -- COMMAND [ARGS…]")
        return 2
    return run(argv)


def run(command: list[str]) -> int:
    sup = Supervisor()
    tmp = Path(tempfile.mkdtemp(prefix="casework-test-"))
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        want_pg = not os.environ.get("DATABASE_URL")
        want_redis = not os.environ.get("REDIS_URL") or not os.environ.get("GRAPH_URL")
        servers = start_servers(sup, tmp, persist=False, want_pg=want_pg, want_redis=want_redis)
        embedded_redis = servers.pop("EMBEDDED_REDIS_URL", None)
        env = {**os.environ, **servers}
        if embedded_redis:
            env.setdefault("REDIS_URL", embedded_redis)
            env.setdefault("GRAPH_URL",
                           embedded_redis.replace("redis://", "falkordb://").rsplit("/", 1)[0])
        for name in ("DATABASE_URL", "REDIS_URL", "GRAPH_URL"):
            say(f"{name}={env[name]}")
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        # this run's own names on a shared Redis: queue, channel-layer and cache prefixes
        run_id = secrets.token_hex(4)
        env.setdefault("CELERY_QUEUE", f"casework-test-queue-{run_id}")
        env.setdefault("CHANNELS_PREFIX", f"casework-test-{run_id}")
        env.setdefault("CACHE_PREFIX", f"casework-test-{run_id}")
        env.setdefault("GRAPH_NAME", f"casework-test-graph-{run_id}")
        return subprocess.call(command, env=env, cwd=ROOT)
    except KeyboardInterrupt:
        return 130
    finally:
        sup.stop()
        remove_tree(tmp)


def main() -> int:
    commands = {"demo": demo, "test": test, "run": run_command}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
