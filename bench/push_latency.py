"""Instruction push latency (issue 6): N patrol terminals connected over real WebSockets
(`/ws/units/<id>/`, ticket auth) to the ASGI server (uvicorn) through the Redis channel
layer. Latency from the instruction's commit to each terminal's receipt of
`instruction.sent`, and the share delivered.

  A. one instruction to each of N units, one after another;
  B. one instruction to N units at once (one commit, N assignments), `--rounds` times
     (the figures pool every round's receipts; each round's own are listed too);
  baseline in the same run: one terminal connected, one instruction at a time.

Each scenario gives the first receipt (how soon after the commit the server starts
handing out), p50, p99 and max; with each, the CPU time the ASGI server and the terminals'
process spent on it (from commit to the last receipt) and the machine's load average — on
a shared two-core machine the latency of B grows with the load, see bench/RESULTS.md.

    python bench/push_latency.py --terminals 1000 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import UTC, datetime

from common import git_rev, machine, pct, use_bench_database

BUREAU = "推送县局"


def setup(terminals: int):
    from casework.accounts.choices import OrgRole, UnitKind
    from casework.accounts.models import Unit, User
    from casework.rooms import services

    county = Unit.objects.filter(name=BUREAU).first()
    if county is None:
        city = Unit.objects.add_root({"name": "推送市局", "kind": UnitKind.CITY_BUREAU})
        county = Unit.objects.add_child(city, {"name": BUREAU,
                                               "kind": UnitKind.COUNTY_BUREAU})
        brigade = Unit.objects.add_child(county, {"name": "推送巡特警大队",
                                                  "kind": UnitKind.BRIGADE})
    county = Unit.objects.get(pk=county.pk)
    brigade = Unit.objects.get(name="推送巡特警大队")
    have = Unit.objects.filter(path__startswith=brigade.path, kind=UnitKind.PATROL).count()
    for i in range(have, terminals):
        Unit.objects.add_child(Unit.objects.get(pk=brigade.pk), {
            "name": f"推送巡逻组{i}", "kind": UnitKind.PATROL, "call_sign": f"P{i:04d}",
            "patrol_kind": "car"})
    units = list(Unit.objects.filter(path__startswith=brigade.path, kind=UnitKind.PATROL)
                 .order_by("call_sign")[:terminals])
    officers = []
    for unit in units:
        user, _ = User.objects.get_or_create(username=f"push-{unit.call_sign}", defaults={
            "unit": unit, "org_role": OrgRole.PATROL})
        officers.append(user)
    lead, _ = User.objects.get_or_create(username="push-lead", defaults={
        "unit": county, "org_role": OrgRole.INVESTIGATOR})
    case = services.create_case(actor=lead, number=f"PUSH-{time.time_ns()}", title="推送",
                                category="theft", reported_at=datetime.now(UTC),
                                owning_unit=county)
    Unit.objects.filter(pk__in=[u.pk for u in units]).update(status="available")
    return case, lead, units, officers


def _terminals_main(conn, ws_base, http_base, pairs):
    """In a process of its own (as phones are): connect every terminal, record when each
    `instruction.sent` arrives (CLOCK_MONOTONIC, comparable across processes); answer
    ("wait", ids, timeout) with those ids' receipts once all are in or the time is up.
    (It answers once, after the burst: a dump of every receipt so far, asked for every
    0.2 s, cost this process milliseconds of pickling in the middle of the receipts it
    was timing.)"""
    from websockets.asyncio.client import connect

    received: dict[int, float] = {}
    state = {"up": 0, "errors": []}

    async def client(unit_id, ticket, ready):
        try:
            async with connect(f"{ws_base}/ws/units/{unit_id}/?ticket={ticket}",
                               origin=http_base, open_timeout=120, max_queue=None) as ws:
                state["up"] += 1
                if state["up"] == len(pairs):
                    ready.set()
                async for raw in ws:
                    event = json.loads(raw)
                    if event.get("type") == "instruction.sent":
                        received[event["assignment_id"]] = time.monotonic()
        except Exception as exc:
            state["errors"].append(repr(exc))

    async def main():
        ready, stop = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        waiting = set()

        async def answer(ids, timeout):
            deadline = loop.time() + timeout
            while not all(i in received for i in ids) and loop.time() < deadline:
                await asyncio.sleep(0.05)
            conn.send({i: received[i] for i in ids if i in received})

        def command():
            what = conn.recv()
            if what[0] == "wait":
                waiting.add(asyncio.ensure_future(answer(*what[1:])))
                waiting.difference_update([w for w in waiting if w.done()])
            elif what[0] == "stop":
                stop.set()

        loop.add_reader(conn.fileno(), command)
        tasks = []
        for unit_id, ticket in pairs:
            tasks.append(asyncio.create_task(client(unit_id, ticket, ready)))
            await asyncio.sleep(0.003)   # do not flood the handshake queue
        try:
            await asyncio.wait_for(ready.wait(), 300)
            conn.send(("ready", state["up"], state["errors"][:3]))
        except TimeoutError:
            conn.send(("failed", state["up"], state["errors"][:3]))
        await stop.wait()
        for t in tasks:
            t.cancel()

    asyncio.run(main())


class Terminals:
    """N WebSocket terminals in a separate process; receipts by assignment id."""

    def __init__(self, server, units, officers):
        from casework.accounts.services import issue_ws_ticket

        self.pairs = [(u.pk, issue_ws_ticket(user=o).key) for u, o in
                      zip(units, officers, strict=True)]
        self.server = server

    def start(self):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_terminals_main,
                                args=(child, self.server.ws, self.server.http, self.pairs))
        self.proc.start()
        status, up, errors = self.conn.recv()
        if status != "ready":
            raise RuntimeError(f"only {up} of {len(self.pairs)} terminals connected: {errors}")
        time.sleep(1)

    def receipts(self, ids, timeout=30):
        """{id: monotonic time of receipt} for those of `ids` received within `timeout`."""
        self.conn.send(("wait", list(ids), timeout))
        return self.conn.recv()

    def stop(self):
        self.conn.send(("stop",))
        self.proc.join(30)


def issue(case, lead, units):
    """Issue one instruction; the commit time is stamped by an after-commit callback
    registered before the service's own sends."""
    from django.db import transaction

    from casework.dispatch import services

    stamp = {}
    with transaction.atomic():
        transaction.on_commit(lambda: stamp.setdefault("t", time.monotonic()))
        instruction = services.issue_instruction(
            actor=lead, case_id=case.pk, kind="capture", units=[u.pk for u in units],
            text="推送测试", lat=24.3, lon=117.3, ack_deadline_s=3600, drill=True)
    return stamp["t"], list(instruction.assignments.values_list("id", flat=True))


def summary(name, latencies_s, expected, **extra):  # noqa: D103
    ms = [x * 1000 for x in latencies_s]
    return {"scenario": name, "expected": expected, "delivered": len(ms),
            "delivered_share": f"{100 * len(ms) / expected:.1f} %",
            "first_ms": round(min(ms), 2) if ms else None,
            "p50_ms": round(pct(ms, 50), 2) if ms else None,
            "p99_ms": round(pct(ms, 99), 2) if ms else None,
            "max_ms": round(max(ms), 2) if ms else None, **extra}


class Cpu:
    """CPU seconds (user + system) that processes spent between two points."""

    def __init__(self, **pids):
        import psutil

        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.start = self._now()

    def _now(self):
        return {name: sum(p.cpu_times()[:2]) for name, p in self.procs.items()}

    def spent_ms(self):
        now = self._now()
        return {name: round(1000 * (now[name] - self.start[name])) for name in now}


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(server, terminals: int, rounds: int) -> list[dict]:
    from casework.accounts.models import Unit
    from casework.dispatch.models import Assignment

    def latencies(t, committed):
        got = t.receipts(list(committed))
        return [got[i] - c for i, c in committed.items() if i in got], len(committed)

    def cpu(t):
        return Cpu(asgi_server=server.proc.pid, terminals=t.proc.pid)

    rows = []
    case, lead, units, officers = setup(1)     # baseline: one terminal
    t = Terminals(server, units[:1], officers[:1])
    t.start()
    committed = {}
    for _ in range(50):
        at, ids = issue(case, lead, units[:1])
        committed.update(dict.fromkeys(ids, at))
        time.sleep(0.02)
    rows.append(summary("baseline: 1 terminal, 50 instructions", *latencies(t, committed)))
    t.stop()

    case, lead, units, officers = setup(terminals)
    t = Terminals(server, units, officers)
    t.start()
    committed = {}
    before, spent = load(), cpu(t)
    for unit in units:                          # A: one instruction to each unit
        at, ids = issue(case, lead, [unit])
        committed.update(dict.fromkeys(ids, at))
    got, expected = latencies(t, committed)
    rows.append(summary(f"A: one instruction to each of {terminals} units", got, expected,
                        cpu_ms=spent.spent_ms(), load=f"{before} → {load()}"))
    pooled, expected_all, per_round = [], 0, []
    for _ in range(rounds):                     # B: one instruction to every unit at once
        Assignment.objects.filter(instruction__case=case).update(status="cancelled")
        Unit.objects.filter(pk__in=[u.pk for u in units]).update(status="available")
        time.sleep(1)
        before = load()
        # the CPU from just before the commit: issuing 1,000 assignments is the bench's own
        # process; the server and the terminals have nothing to do until the commit
        spent = cpu(t)
        at, ids = issue(case, lead, units)
        got, expected = latencies(t, dict.fromkeys(ids, at))
        pooled += got
        expected_all += expected
        per_round.append(summary("round", got, expected, cpu_ms=spent.spent_ms(),
                                 load=before))
    rows.append(summary(f"B: one instruction to {terminals} units at once, {rounds} rounds",
                        pooled, expected_all,
                        rounds=[{k: r[k] for k in ("delivered", "first_ms", "p50_ms", "p99_ms",
                                                   "max_ms", "cpu_ms", "load")}
                                for r in per_round]))
    t.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--terminals", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    use_bench_database("casework_push")
    from tests.live import start_asgi

    server = start_asgi()
    try:
        rows = run(server, args.terminals, args.rounds)
    finally:
        server.stop()
    print(json.dumps({"bench": "instruction_push", "machine": machine(), "rev": git_rev(),
                      "terminals": args.terminals, "results": rows,
                      "counts": args.terminals >= 1000}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
