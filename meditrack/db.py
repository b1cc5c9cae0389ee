"""Holding database connections only while they are used.

- `connection_released()` around a slow call (every model call goes through one): the pool has the
  thread's connection back meanwhile, and the next query takes a fresh one.
- `db_sync_to_async` for database work from async code (consumers, streaming views). Channels'
  `database_sync_to_async` runs every call of the process on one shared thread, so a crowd of
  sockets saving messages queues behind each other. Here the calls run on a bounded pool of
  threads, as many as the process has pooled connections, and each call hands its connection
  back as it returns: nothing async holds one while it waits.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import close_old_connections, connection


@contextmanager
def connection_released() -> Iterator[None]:
    # Inside a transaction the connection stays: the transaction needs it.
    if not connection.in_atomic_block:
        connection.close()
    yield


@cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.DB_POOL_MAX_SIZE, thread_name_prefix="db")


class _DatabaseCall(SyncToAsync):
    def thread_handler(self, loop, *args, **kwargs):
        close_old_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            close_old_connections()


def db_sync_to_async(fn):
    """fn as an awaitable that runs on the database threads and releases its connection when done."""
    return _DatabaseCall(fn, thread_sensitive=False, executor=_executor())
