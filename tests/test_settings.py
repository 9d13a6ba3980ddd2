"""Bad configuration stops the process at start with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GOOD = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/casework",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "GRAPH_URL": "falkordb://127.0.0.1:6390",
    "SECRET_KEY": "a-perfectly-long-secret-key-for-this-test-0123456789",
    "DEBUG": "false",
}


def load_settings(**overrides: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in GOOD and k not in ("PORT", "ALLOWED_HOSTS", "LOGIN_FAILURE_LIMIT")}
    env.update(GOOD)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["DJANGO_SETTINGS_MODULE"] = "casework.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('configured')"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


def test_good_settings_load():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert "configured" in result.stdout


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DATABASE_URL", None, "DATABASE_URL must be set"),
    ("DATABASE_URL", "mysql://root@127.0.0.1/casework", "DATABASE_URL='mysql://"),
    ("DATABASE_URL", "postgres://host:notaport/db", "port is not a number"),
    ("REDIS_URL", "127.0.0.1:6379", "REDIS_URL="),
    ("GRAPH_URL", "http://127.0.0.1:7474", "GRAPH_URL="),
    ("GRAPH_URL", "falkordb://", "no host"),
    ("PORT", "eighty", "PORT='eighty' is not an integer"),
    ("PORT", "70000", "PORT=70000 is above the maximum"),
    ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
    ("SECRET_KEY", "short", "SECRET_KEY must be at least 32 characters"),
    ("SECRET_KEY", None, "SECRET_KEY must be set"),
    ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_FAILURE_LIMIT=0 is below the minimum 1"),
])
def test_bad_value_fails_at_start_with_a_clear_message(name, value, message):
    result = load_settings(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr, result.stderr[-500:]


def test_a_pool_and_persistent_connections_exclude_each_other():
    result = load_settings(DB_POOL_MAX_SIZE="4", DB_CONN_MAX_AGE="60")
    assert result.returncode != 0
    assert "DB_POOL_MAX_SIZE and DB_CONN_MAX_AGE exclude each other" in result.stderr
    assert load_settings(DB_POOL_MAX_SIZE="4", DB_CONN_MAX_AGE="0").returncode == 0


def test_env_example_lists_every_variable_the_settings_read():
    import re

    read = set()
    for path in (ROOT / "casework" / "settings.py",):
        read |= set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', path.read_text()))
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / "docker" / ".env.example").read_text(),
                            re.MULTILINE))
    assert read <= listed, f"missing from docker/.env.example: {sorted(read - listed)}"
