"""What every test runs in: a test database that can be dropped at the end, fast password hashing, an empty
cache."""

import pytest
from django.core.cache import cache
from django.db import connections

from meditrack.redis_clients import sync_client


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Our own Redis keys name rows (chat:stream:<message id>, journal:lost-runs:<analysis id>) and outlive a
    # session; the test database is new and numbers its rows from 1 again: an earlier session's keys would be
    # taken for this one's (a reply found already started, an analysis found dead twice).
    sync_client().flushdb()
    yield
    # The pool keeps connections open, and the test clients' executor threads keep theirs (the test
    # handlers do not close connections when a request finishes): end them all, or the test
    # database cannot be dropped.
    with django_db_blocker.unblock():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        for connection in connections.all():
            connection.close()
            connection.close_pool()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    # Throttle counters live in the cache; every test starts with none. Tests that never
    # touch Redis-backed code pay nothing for this but one FLUSHDB.
    cache.clear()
