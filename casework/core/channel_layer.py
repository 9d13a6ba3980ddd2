"""The Redis channel layer, with its blocking pop shorter than the socket's read timeout.

redis-py 8 reads with a 5 s socket timeout by default and channels-redis blocks in BZPOPMIN
for 5 s: under load the reply came after the read gave up, the consumer died with "Timeout
reading" and its terminal went deaf (bench/push_latency.py: 404 of 1,000 connected). A 2 s
pop keeps every reply well inside the default timeout; raising the socket timeout instead
made cancelled receives (a test's wait_for) hang for the whole of it.
"""

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer


class RedisChannelLayer(_RedisChannelLayer):
    brpop_timeout = 2
