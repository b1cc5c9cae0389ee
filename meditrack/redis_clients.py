"""One Redis connection pool per process for our own keys (reply streams, cancel flags); the cache,
Celery and the channel layer keep theirs."""

import asyncio
import weakref
from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings

_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis]" = weakref.WeakKeyDictionary()


@cache
def sync_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def async_client() -> aioredis.Redis:
    """The running event loop's client: an asyncio connection belongs to the loop that opened it
    (one loop in daphne; a test may run several, one after another)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        # Every live stream blocks one connection in XREAD: no cap below the sockets a process serves.
        client = _async_clients[loop] = aioredis.Redis.from_url(settings.REDIS_URL, max_connections=2**31)
    return client
