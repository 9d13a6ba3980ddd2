"""The channel layer (casework/core/channel_layer.py) on the real Redis: batched group
sends and batched receives keep each group's order and lose nothing, a cancelled receive
loses nothing, and after-commit events (casework/core/publish.py) reach their groups in
commit order."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from casework.core.channel_layer import RedisChannelLayer
from casework.core.publish import flush_events, send_event_on_commit


def on_own_loop(fn, *args):
    """`fn(*args)` on an event loop of its own in another thread (as each of Django's
    async_to_sync calls has): browser tests leave a loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fn(*args)).result()


def another_process_layer() -> RedisChannelLayer:
    """A layer as another server process has it: same Redis, its own client prefix (and
    so its own key for its consumers' messages)."""
    return RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])


def test_batched_sends_keep_each_groups_order_and_lose_nothing():
    """2,000 messages to 50 consumers of one process, interleaved across groups and sent
    in batches of varying size: each consumer gets all of its own, in order — more than
    upstream's default capacity of one process's key (the settings raise it)."""
    sender, receiver = another_process_layer(), another_process_layer()
    tag = uuid.uuid4().hex[:8]
    groups = [f"t{tag}.g{i}" for i in range(50)]
    plan = [(g, n) for n in range(40) for g in groups]
    random.Random(7).shuffle(plan)
    # each group's messages in order of n within the shuffle
    seen: dict[str, int] = {}
    ordered = []
    for g, _ in plan:
        seen[g] = seen.get(g, -1) + 1
        ordered.append((g, seen[g]))

    async def go():
        channels = {g: await receiver.new_channel() for g in groups}
        for g, c in channels.items():
            await receiver.group_add(g, c)
        at = 0
        for size in (1, 7, 250, 1, 500, 1241):
            await sender.group_send_many([(g, {"type": "x", "n": n})
                                          for g, n in ordered[at:at + size]])
            at += size
        assert at == len(ordered)
        got = {g: [] for g in groups}

        async def consume(g):
            while len(got[g]) < 40:
                got[g].append((await asyncio.wait_for(receiver.receive(channels[g]), 10))["n"])

        await asyncio.gather(*(consume(g) for g in groups))
        for g, c in channels.items():
            await receiver.group_discard(g, c)
        return got

    got = on_own_loop(go)
    assert all(got[g] == list(range(40)) for g in groups), got


def test_one_calls_messages_to_a_process_are_one_entry():
    """What one call sends to one server process's key is one sorted-set entry (a bundle,
    in order); two consumers of one group in that process each get the message, and a
    general channel (no "!") still gets its own entry, as upstream's."""
    sender, receiver = another_process_layer(), another_process_layer()
    tag = uuid.uuid4().hex[:8]
    groups = [f"t{tag}.u{i}" for i in range(300)]
    general = f"t{tag}.general"

    async def go():
        channels = {g: await receiver.new_channel() for g in groups}
        twin = await receiver.new_channel()
        for g, c in channels.items():
            await receiver.group_add(g, c)
        await receiver.group_add(groups[0], twin)
        await receiver.group_add(groups[1], general)
        await sender.group_send_many([(g, {"type": "x", "n": i}) for i, g in enumerate(groups)]
                                     + [(groups[0], {"type": "x", "n": -1})])
        local = receiver.non_local_name(twin)
        redis = receiver.connection(receiver.consistent_hash(local))
        entries = await redis.zcard(receiver.prefix + local)
        got = {g: [(await asyncio.wait_for(receiver.receive(c), 5))["n"]] for g, c in
               channels.items()}
        got[groups[0]].append((await asyncio.wait_for(receiver.receive(channels[groups[0]]),
                                                      5))["n"])
        twin_got = [(await asyncio.wait_for(receiver.receive(twin), 5))["n"] for _ in range(2)]
        general_got = (await asyncio.wait_for(receiver.receive(general), 5))["n"]
        for g, c in channels.items():
            await receiver.group_discard(g, c)
        await receiver.group_discard(groups[0], twin)
        await receiver.group_discard(groups[1], general)
        return entries, got, twin_got, general_got

    entries, got, twin_got, general_got = on_own_loop(go)
    assert entries == 1
    assert got[groups[0]] == [0, -1] and twin_got == [0, -1]
    assert all(got[g] == [i] for i, g in enumerate(groups) if i)
    assert general_got == 1


def test_one_consumer_gets_more_than_the_layers_capacity_from_one_call():
    """A room hears of a thousand units' assignments at once: one call's bundle for one
    consumer can hold more messages than the layer's per-channel capacity (1,000); the
    consumer's buffer in the server process takes them all, in order."""
    sender, receiver = another_process_layer(), another_process_layer()
    group = f"t{uuid.uuid4().hex[:8]}.room"
    n = receiver.capacity + 500

    async def go():
        channel = await receiver.new_channel()
        await receiver.group_add(group, channel)
        await sender.group_send_many([(group, {"type": "x", "n": i}) for i in range(n)])
        got = [(await asyncio.wait_for(receiver.receive(channel), 5))["n"] for _ in range(n)]
        await receiver.group_discard(group, channel)
        return got

    assert on_own_loop(go) == list(range(n))


def test_a_group_across_processes_reaches_every_member():
    a, b = another_process_layer(), another_process_layer()
    group = f"t{uuid.uuid4().hex[:8]}.shared"

    async def go():
        ca, cb = await a.new_channel(), await b.new_channel()
        await a.group_add(group, ca)
        await b.group_add(group, cb)
        await a.group_send_many([(group, {"type": "x", "n": 1}), (group, {"type": "x", "n": 2})])
        got = [(await asyncio.wait_for(a.receive(ca), 5))["n"],
               (await asyncio.wait_for(a.receive(ca), 5))["n"],
               (await asyncio.wait_for(b.receive(cb), 5))["n"],
               (await asyncio.wait_for(b.receive(cb), 5))["n"]]
        await a.group_discard(group, ca)
        await b.group_discard(group, cb)
        return got

    assert on_own_loop(go) == [1, 2, 1, 2]


def test_a_cancelled_receive_loses_nothing():
    """A receive given up (a test's wait_for, a consumer closing) leaves the message for
    the next receive, whether it was waiting on an empty buffer or on Redis."""
    layer = another_process_layer()
    group = f"t{uuid.uuid4().hex[:8]}.cancel"

    async def gave_up(channel, timeout):
        try:
            await asyncio.wait_for(layer.receive(channel), timeout)
        except TimeoutError:
            return True
        return False

    async def go():
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        assert await gave_up(channel, 0.05)            # nothing there: given up
        await layer.group_send_many([(group, {"type": "x", "n": 1})])
        first = await asyncio.wait_for(layer.receive(channel), 5)
        # give up again while the pump blocks on Redis, then send two more
        assert await gave_up(channel, 0.05)
        await layer.group_send_many([(group, {"type": "x", "n": 2}),
                                     (group, {"type": "x", "n": 3})])
        rest = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]
        await layer.group_discard(group, channel)
        return [first["n"], *(m["n"] for m in rest)]

    assert on_own_loop(go) == [1, 2, 3]
    # and from a new event loop, as the next test's (each call runs its own)
    channel = on_own_loop(layer.new_channel)
    on_own_loop(layer.group_add, group, channel)
    on_own_loop(layer.group_send_many, [(group, {"type": "x", "n": 4})])
    assert on_own_loop(layer.receive, channel)["n"] == 4


def test_events_after_commit_arrive_in_commit_order(transactional_db):
    """Services' events go out after commit in batches from the sender thread: every
    group sees them in the order they were committed, across transactions."""
    layer = get_channel_layer()
    tag = uuid.uuid4().hex[:8]
    groups = [f"t{tag}.unit{i}" for i in range(3)]
    channels = {g: on_own_loop(layer.new_channel) for g in groups}
    for g, c in channels.items():
        on_own_loop(layer.group_add, g, c)
    sent = {g: [] for g in groups}
    n = 0
    for _ in range(4):                         # four commits of 150 events each
        with transaction.atomic():
            for _ in range(150):
                g = groups[n % 3 if n % 5 else 0]
                send_event_on_commit(g, {"type": "t", "n": n})
                sent[g].append(n)
                n += 1
    flush_events(10)

    async def drain(channel, count):
        return [json.loads((await asyncio.wait_for(layer.receive(channel), 10))["text"])["n"]
                for _ in range(count)]

    for g, c in channels.items():
        assert on_own_loop(drain, c, len(sent[g])) == sent[g]
        on_own_loop(layer.group_discard, g, c)
