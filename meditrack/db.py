"""Database work from async code (consumers, streaming views).

Channels' `database_sync_to_async` runs every call of the process on one shared thread, so a crowd
of sockets saving messages queues behind each other. Here the calls run on a bounded pool of
threads, as many as the process has pooled database connections, and each call hands its
connection back to the pool as it returns: nothing async holds one while it waits.
"""

from concurrent.futures import ThreadPoolExecutor
from functools import cache

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.db import close_old_connections


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
