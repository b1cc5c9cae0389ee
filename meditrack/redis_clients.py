"""One Redis connection pool per process for our own keys (reply streams, cancel flags), and one for
the cache; Celery and the channel layer keep theirs."""

import asyncio
import threading
import weakref
from functools import cache

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

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


_cache_clients: dict[tuple[str, ...], RedisCacheClient] = {}
_cache_clients_lock = threading.Lock()


class SharedPoolRedisCache(RedisCache):
    """Django's Redis cache with one client per process. Django builds a cache object per thread and
    per async context, each with a pool of its own: every request, and every call on the database
    threads, would otherwise open (and handshake) a new Redis connection."""

    @cached_property
    def _cache(self) -> RedisCacheClient:
        servers = tuple(self._servers)
        with _cache_clients_lock:
            if servers not in _cache_clients:
                _cache_clients[servers] = self._class(self._servers, **self._options)
            return _cache_clients[servers]
