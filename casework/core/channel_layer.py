"""The Redis channel layer: channels-redis' sorted-set layer, delivering in batches.

Why a subclass (bench/push_latency.py, one instruction to 1,000 units at once):

- Every consumer of a process shares one Redis key (`<prefix>specific.<client>!`), and
  upstream pops it one message at a time under one lock, three to four round trips each,
  every waiting consumer racing for that lock with fresh tasks: a thousand events to one
  uvicorn process took well over a second to hand out. Here one pump task per process
  pops up to `receive_batch` messages at a time — BZPOPMIN blocks for the first, a script
  moves it and the next ones, in order, to the in-flight backup — and puts each in its
  consumer's buffer in the order popped; a consumer only waits on its own buffer.
- `group_send_many` sends many group messages in two round trips per shard (one script
  reads the groups' members, one adds every message) instead of four each, and everything
  it sends to one server process's key goes as one entry, a bundle of the messages in
  order: a thousand units' pushes to one uvicorn process are a few sorted-set entries,
  not a thousand, for Redis to add and for the process to pop and decode.
  casework/core/publish.py sends after-commit events through it.

What upstream guarantees still holds: a receive cancelled mid-pop leaves the popped
messages in the backup, put back at the next pop; messages to one key keep the order they
were sent in (strictly increasing scores); expiry works as upstream's. Capacity counts
entries, as upstream's, so a bundle counts once (and is refused whole at capacity); a
consumer's buffer in the process holds `buffer_capacity` messages, not the capacity.

The blocking pop is 2 s: redis-py 8 reads with a 5 s socket timeout by default, and
upstream's 5 s BZPOPMIN let the reply come after the read gave up ("Timeout reading": the
consumer died and its terminal went deaf). Raising the socket timeout instead made
cancelled receives (a test's wait_for) hang for the whole of it.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import time

from channels_redis.core import BoundedQueue
from channels_redis.core import RedisChannelLayer as _RedisChannelLayer

log = logging.getLogger(__name__)

# KEYS[1] the channel key, KEYS[2] its in-flight backup; ARGV: the member BZPOPMIN gave,
# its score, how many more to take. Everything taken is backed up in the same step.
_TAKE_MORE = """
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
local more = redis.call('ZPOPMIN', KEYS[1], tonumber(ARGV[3]))
for i = 1, #more, 2 do
    redis.call('ZADD', KEYS[2], more[i + 1], more[i])
end
return more
"""

# KEYS: the channel keys; ARGV[1]: for each message the number of its key, comma separated;
# ARGV[2]: each key's capacity, comma separated; ARGV[3..5]: the first score, the expiry
# cut-off, the expiry; then the messages. Scores rise by one microsecond per message so a
# key's messages pop in the order given. (Numbers in two strings, not an argument each:
# redis-py packs arguments one by one in Python.)
_ADD_MANY = """
local capacity = {}
for c in string.gmatch(ARGV[2], '[^,]+') do
    capacity[#capacity + 1] = tonumber(c)
end
local first = tonumber(ARGV[3])
local cutoff = tonumber(ARGV[4])
local expiry = tonumber(ARGV[5])
local trimmed = {}
local over = 0
local i = 0
for k in string.gmatch(ARGV[1], '[^,]+') do
    local n = tonumber(k)
    local key = KEYS[n]
    if not trimmed[n] then
        redis.call('ZREMRANGEBYSCORE', key, 0, cutoff)
        trimmed[n] = true
    end
    if redis.call('ZCARD', key) < capacity[n] then
        redis.call('ZADD', key, first + i * 0.000001, ARGV[6 + i])
        redis.call('EXPIRE', key, expiry)
    else
        over = over + 1
    end
    i = i + 1
end
return over
"""

_SCORE_STEP = 0.000001
# An entry carrying many messages for a process's consumers, in order: {_BUNDLE: [[channels,
# message], …]}. Only this layer writes and reads it, on process-local keys.
_BUNDLE = "__casework_bundle__"


class _PumpFailed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Buffer(BoundedQueue):
    """A consumer's buffer in this process: upstream's (drops the oldest when full, so a
    consumer that stopped reading cannot grow the process without end), saying so."""

    def put_nowait(self, item):
        if self.full():
            log.warning("a consumer's buffer is full (%s): its oldest message dropped",
                        self.maxsize)
        super().put_nowait(item)


class RedisChannelLayer(_RedisChannelLayer):
    brpop_timeout = 2
    receive_batch = 500
    # Messages a consumer's buffer holds. Upstream's is the layer's capacity (1,000),
    # which one pop of bundles can pass for one consumer: a room hears of every
    # assignment of an instruction to a thousand units at once.
    buffer_capacity = 100_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.receive_buffer = collections.defaultdict(
            functools.partial(_Buffer, self.buffer_capacity))
        self._last_score = 0.0
        self._waiting: collections.Counter[str] = collections.Counter()
        self._pumps: dict[str, asyncio.Task] = {}

    # -- receiving ------------------------------------------------------------------------

    async def receive(self, channel):
        """A process-local channel's next message. One pump task per process pops the
        process's key in batches and fills every consumer's buffer; a consumer only waits
        on its own buffer. (Upstream has each waiting consumer race for a lock with two
        fresh tasks per round: with a thousand consumers the event loop did little else.)
        A cancelled receive loses nothing: the message stays in the buffer."""
        if "!" not in channel:
            return await super().receive(channel)   # a general channel: as upstream
        assert self.require_valid_channel_name(channel)
        real = self.non_local_name(channel)
        assert real.endswith(self.client_prefix + "!"), "Wrong client prefix"
        buffer = self.receive_buffer[channel]
        self._waiting[channel] += 1
        try:
            if buffer.empty():
                self._ensure_pump(real)
            message = await buffer.get()
        finally:
            self._waiting[channel] -= 1
            if not self._waiting[channel]:
                del self._waiting[channel]
                if buffer.empty() and self.receive_buffer.get(channel) is buffer:
                    del self.receive_buffer[channel]   # as upstream: no empty queue kept
        if isinstance(message, _PumpFailed):
            raise message.error
        return message

    def _ensure_pump(self, real) -> None:
        loop = asyncio.get_running_loop()
        pump = self._pumps.get(real)
        if pump is not None and not pump.done():
            if pump.get_loop() is loop:
                return
            if not pump.get_loop().is_closed():
                raise RuntimeError(
                    "Two event loops are trying to receive() on one channel layer at once!")
        self._pumps[real] = loop.create_task(self._pump(real))

    async def _pump(self, real) -> None:
        """Pop while anyone waits; a failure reaches every waiting consumer, as upstream's
        receive would raise it."""
        try:
            while self._waiting:
                for target, message in await self._pop_batch(real):
                    for name in (target if isinstance(target, list) else [target]):
                        self.receive_buffer[name].put_nowait(message)
        except Exception as error:
            for name in list(self._waiting):
                self.receive_buffer[name].put_nowait(_PumpFailed(error))

    async def _pop_batch(self, real) -> list[tuple]:
        """The next messages of this process's key, in order: at most `receive_batch`,
        none if nothing came within the blocking pop's timeout."""
        index = self.consistent_hash(real)
        key = self.prefix + real
        backup = self._backup_channel_name(key)
        await self.receive_clean_locks.acquire(key)
        try:
            members = await self._take(index, key, backup)
            if not members:   # the blocking pop timed out: the pump looks who still waits
                self.receive_clean_locks.release(key)
                return []
            # The batch is in memory now: drop its backup. Detached so that a cancelled
            # pump does not leave it to be put back (and delivered twice); the key's lock
            # is held until it is done so the next pop cannot restore it first.
            cleaner = asyncio.ensure_future(self.connection(index).delete(backup))
            self.receive_cleaners.append(cleaner)

            def _cleanup_done(cleaner):
                self.receive_cleaners.remove(cleaner)
                self.receive_clean_locks.release(key)

            cleaner.add_done_callback(_cleanup_done)
        except BaseException:
            self.receive_clean_locks.release(key)
            raise
        return [m for raw in members for m in self._unpack(real, raw)]

    async def _take(self, index, key, backup) -> list[bytes]:
        connection = self.connection(index)
        # put back what a cancelled pop left in the backup (upstream's script)
        await connection.eval(_RESTORE, 0, key, backup)
        first = await connection.bzpopmin(key, timeout=self.brpop_timeout)
        if first is None:
            return []
        _, member, score = first
        more = await connection.eval(_TAKE_MORE, 2, key, backup, member, repr(float(score)),
                                     self.receive_batch - 1)
        return [member, *more[0::2]]

    def _unpack(self, channel, raw) -> list[tuple]:
        """[(channel or channels, message), …] of one entry: a message, or a bundle."""
        try:
            message = self.deserialize(raw)
            if _BUNDLE in message:
                return [(channels, body) for channels, body in message[_BUNDLE]]
        except Exception:   # one bad entry must not stop the process's consumers
            log.exception("undecodable channel-layer entry dropped")
            return []
        target = message.pop("__asgi_channel__", channel)
        return [(target, message)]

    # -- sending --------------------------------------------------------------------------

    async def group_send_many(self, sends: list[tuple[str, dict]]) -> None:
        """`group_send` for each (group, message) in order, in two round trips per shard.

        Messages to one group arrive in the order given, also across calls from one
        process (scores never go back)."""
        if not sends:
            return
        for group, message in sends:
            assert self.require_valid_group_name(group), "Group name not valid"
            assert isinstance(message, dict) and "__asgi_channel__" not in message
        now = time.time()
        members = await self._members({group for group, _ in sends}, now)
        # per shard: its keys (numbered from 1, as Lua counts) with their capacities, and
        # the payloads with their keys' numbers. A server process's consumers share one key
        # ("specific.<client>!"): everything this call sends there is one bundle, one
        # entry (_BUNDLE); a general channel's key gets each message, as upstream.
        per_shard = collections.defaultdict(lambda: ({}, [], [], []))
        bundles: dict[str, list] = {}
        for group, message in sends:
            local: dict[str, list[str]] = {}   # process key's name -> its channels
            for channel in members[group]:
                if "!" in channel:
                    local.setdefault(self.non_local_name(channel), []).append(channel)
                else:
                    self._add_payload(per_shard, channel, channel,
                                      {**message, "__asgi_channel__": [channel]})
            for name, channels in local.items():
                if name not in bundles:
                    bundles[name] = []
                    self._add_payload(per_shard, name, channels[0], bundles[name])
                bundles[name].append([channels, message])
        total = sum(len(payloads) for _, _, _, payloads in per_shard.values())
        first = max(now, self._last_score + _SCORE_STEP)
        self._last_score = first + total * _SCORE_STEP
        cutoff = int(now) - int(self.expiry)
        for index, (numbers, caps, which, payloads) in per_shard.items():
            packed = [self.serialize({_BUNDLE: p}) if isinstance(p, list) else self.serialize(p)
                      for p in payloads]
            over = await self.connection(index).eval(
                _ADD_MANY, len(numbers), *numbers, ",".join(which), ",".join(caps),
                repr(first), cutoff, int(self.expiry), *packed)
            if over:
                log.warning("%s of %s channel-layer entries over capacity", over, len(packed))

    def _add_payload(self, per_shard, name, channel, payload) -> None:
        """`payload` to the key of `name` (a channel, or a process's "specific.<client>!")
        in its shard's lists; `channel` gives the key's capacity."""
        key = self.prefix + name
        numbers, caps, which, payloads = per_shard[self.consistent_hash(name)]
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            caps.append(str(self.get_capacity(channel)))
        which.append(str(numbers[key]))
        payloads.append(payload)

    async def _members(self, groups, now) -> dict[str, list[str]]:
        by_shard = collections.defaultdict(list)
        for group in groups:
            by_shard[self.consistent_hash(group)].append(group)
        members = {}
        for index, names in by_shard.items():
            # one reply for them all: redis-py parses each reply element in Python
            reply = await self.connection(index).eval(
                _MEMBERS, len(names), *(self._group_key(g) for g in names),
                int(now) - self.group_expiry)
            for group, line in zip(names, reply.decode("utf8").split("\n"), strict=True):
                members[group] = line.split(" ") if line else []
        return members


# KEYS: group keys; ARGV[1]: the group-expiry cut-off. The members of each group, space
# separated (channel names hold no spaces), one group a line.
_MEMBERS = r"""
local out = {}
for i = 1, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, ARGV[1])
    out[i] = table.concat(redis.call('ZRANGE', KEYS[i], 0, -1), ' ')
end
return table.concat(out, '\n')
"""


# channels-redis' own clean-up script (core.py, _brpop_with_clean)
_RESTORE = """
local backed_up = redis.call('ZRANGE', ARGV[2], 0, -1, 'WITHSCORES')
for i = #backed_up, 1, -2 do
    redis.call('ZADD', ARGV[1], backed_up[i], backed_up[i - 1])
end
redis.call('DEL', ARGV[2])
"""
