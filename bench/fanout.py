"""Room message fan-out (issue 3): N members connected over real WebSockets to the ASGI
server (uvicorn) through the Redis channel layer; one message; latency from commit to each
client's receipt. Baseline in the same run: the same with one member connected.

    python bench/fanout.py --clients 200 --messages 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from datetime import UTC, datetime

from common import git_rev, machine, pct, use_bench_database


def setup_room(clients: int):
    from casework.accounts.choices import OrgRole, UnitKind
    from casework.accounts.models import Unit, User
    from casework.rooms import services
    from casework.rooms.models import Case

    unit = Unit.objects.filter(name="扇出县局").first()
    if unit is None:
        city = Unit.objects.add_root({"name": "扇出市局", "kind": UnitKind.CITY_BUREAU})
        unit = Unit.objects.add_child(city, {"name": "扇出县局", "kind": UnitKind.COUNTY_BUREAU})
    lead, _ = User.objects.get_or_create(username="fanout-lead",
                                         defaults={"unit": unit, "org_role": OrgRole.INVESTIGATOR})
    number = f"FANOUT-{time.time_ns()}"
    case = services.create_case(actor=lead, number=number, title="扇出", category="theft",
                                reported_at=datetime.now(UTC), owning_unit=unit)
    members = []
    for i in range(clients):
        user, _ = User.objects.get_or_create(username=f"fanout-{i}",
                                             defaults={"unit": unit})
        services.add_member(actor=lead, case_id=case.pk, user_id=user.pk, role="member")
        members.append(user)
    return Case.objects.get(pk=case.pk), lead, members


def measure(server, case, lead, members, messages: int) -> list[float]:
    from django.db import transaction
    from websockets.asyncio.client import connect

    from casework.accounts.services import issue_ws_ticket
    from casework.rooms import services

    tickets = [issue_ws_ticket(user=m).key for m in members]
    received: dict[int, list[float]] = {}
    ready = threading.Event()
    done = threading.Event()
    loop = asyncio.new_event_loop()

    async def client(ticket):
        url = f"{server.ws}/ws/cases/{case.pk}/?ticket={ticket}"
        async with connect(url, origin=server.http, open_timeout=30, max_queue=None) as ws:
            clients_up.append(1)
            if len(clients_up) == len(tickets):
                ready.set()
            async for raw in ws:
                event = json.loads(raw)
                if event.get("type") == "message.posted":
                    received.setdefault(event["id"], []).append(time.perf_counter())
                if done.is_set():
                    return

    clients_up: list[int] = []

    async def main():
        tasks = []
        for t in tickets:  # connect in small bursts so the handshake queue is not flooded
            tasks.append(asyncio.create_task(client(t)))
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks, return_exceptions=True)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    if not ready.wait(120):
        raise RuntimeError(f"only {len(clients_up)} of {len(tickets)} clients connected")
    time.sleep(0.5)

    latencies: list[float] = []
    for n in range(messages):
        committed = {}
        with transaction.atomic():
            # registered before the service's own after-commit send: marks the commit
            transaction.on_commit(lambda c=committed: c.setdefault("t", time.perf_counter()))
            message = services.post_message(actor=lead, case_id=case.pk, text=f"扇出 {n}")
        deadline = time.monotonic() + 10
        while len(received.get(message.pk, [])) < len(members) and time.monotonic() < deadline:
            time.sleep(0.002)
        got = received.get(message.pk, [])
        if len(got) < len(members):
            raise RuntimeError(f"message {n}: {len(got)} of {len(members)} clients got it")
        latencies += [t - committed["t"] for t in got]
        time.sleep(0.05)
    done.set()
    # nudge every client out of its receive loop
    services.post_message(actor=lead, case_id=case.pk, text="end")
    thread.join(10)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    use_bench_database()
    from tests.live import start_asgi

    server = start_asgi()
    try:
        rows = []
        for n in (1, args.clients):
            case, lead, members = setup_room(n)
            lat = [x * 1000 for x in measure(server, case, lead, members, args.messages)]
            rows.append({"clients": n, "samples": len(lat), "delivered": "100 %",
                         "p50_ms": round(pct(lat, 50), 2), "p99_ms": round(pct(lat, 99), 2),
                         "max_ms": round(max(lat), 2)})
    finally:
        server.stop()
    out = {"bench": "room_fanout", "machine": machine(), "rev": git_rev(),
           "messages": args.messages, "results": rows,
           "p99_ratio_vs_one_client": round(rows[1]["p99_ms"] / rows[0]["p99_ms"], 2),
           "counts": args.clients >= 200}
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
