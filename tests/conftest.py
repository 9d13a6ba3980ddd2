"""Shared fixtures. Every test talks to the real PostgreSQL, Redis and graph engine named
by DATABASE_URL / REDIS_URL / GRAPH_URL (`make test` sets them, starting embedded servers
for those unset). A missing service fails the run; nothing is skipped."""

from __future__ import annotations

import os

import pytest

# Playwright keeps an event loop running in the test thread; Django's live-server and
# database set-up then refuse to run synchronously unless allowed (tests only).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import make_org, make_people, make_room  # noqa: E402
from tests.flush import install as _install_fast_flush  # noqa: E402

_install_fast_flush()


@pytest.fixture(scope="session", autouse=True)
def _media_root(tmp_path_factory):
    """Evidence files of this run go to a temporary folder, in this process and in the
    server processes the tests start."""
    from django.conf import settings

    media = str(tmp_path_factory.mktemp("media"))
    settings.MEDIA_ROOT = media
    os.environ["MEDIA_ROOT"] = media
    return media


@pytest.fixture(autouse=True)
def _clean_cache(settings):
    """Isolate Redis-held state (log-in failure counts) between tests: each test gets a
    key prefix of its own (no SCAN over a Redis that other processes are busy with)."""
    import uuid

    default = dict(settings.CACHES["default"])
    default["KEY_PREFIX"] = f"{default.get('KEY_PREFIX', 'casework')}-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {**settings.CACHES, "default": default}
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.get_implementation(force=True)  # it holds the cache it was made with
    yield


@pytest.fixture
def org(db):
    return make_org()


@pytest.fixture
def people(org):
    return make_people(org)


@pytest.fixture
def room(people, org):
    return make_room(people, org)


@pytest.fixture
def api():
    from rest_framework.test import APIClient

    # English messages in API tests (the API follows Accept-Language; Chinese otherwise)
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker):
    """A real uvicorn process serving the project against the test database."""
    from tests.live import start_asgi

    server = start_asgi()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real Celery worker process on the test database and the run's own queue."""
    from tests.live import start_worker

    worker = start_worker()
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def celery_beat_process(celery_worker_process, tmp_path_factory):
    """Celery beat next to the worker: periodic tasks (the graph drain) really run."""
    from tests.live import start_beat

    beat = start_beat(str(tmp_path_factory.mktemp("beat")))
    yield beat
    beat.stop()


@pytest.fixture
def live_people(transactional_db):
    """Organisation, people and a room, committed so that server processes see them."""
    org = make_org()
    people = make_people(org)
    return org, people, make_room(people, org)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, never a downloaded browser (`playwright install` is not used)."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture
def artifacts():
    """Where browser tests leave screenshots to look at."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


def pytest_terminal_summary(terminalreporter):
    if not os.environ.get("NEO4J_URI"):
        terminalreporter.write_line("Neo4j contract suite: not run (NEO4J_URI unset)")
