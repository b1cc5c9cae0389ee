"""Celery in tests, all real: workers in this process, the Procfile's own processes, the broker's queues as a
worker finds them, and a web process whose broker is down."""

import base64
import contextlib
import json
import os
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import connection

from meditrack import procfile
from meditrack.celery import QUEUES
from meditrack.celery import app as celery_app
from meditrack.testing.waiting import wait_until


@pytest.fixture
def worker():
    """A real Celery worker (in a thread of this process, so it sees the test database),
    consuming every queue through the real Redis broker. Tasks an earlier test queued without a worker
    are purged first: they belong to rows that no longer exist."""
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=list(QUEUES)) as w:
        yield w


@pytest.fixture
def chat_worker():
    """A real worker with a thread pool, so several replies are written at once."""
    with start_worker(celery_app, pool="threads", concurrency=8, perform_ping_check=False,
                      queues=list(QUEUES)) as w:
        yield w


@dataclass(frozen=True)
class QueuedTask:
    name: str
    args: list
    kwargs: dict


@pytest.fixture
def queued_tasks():
    """The tasks waiting in a queue of the real broker, oldest first, read without taking them (no worker
    consumes them): `queued_tasks("io")`. The queues start empty, and are emptied again afterwards."""
    celery_app.control.purge()
    client = redis.Redis.from_url(celery_app.conf.broker_url)

    def waiting(queue: str) -> list[QueuedTask]:
        # kombu's Redis transport keeps a queue as a list under its name, the newest first; each entry is a
        # JSON envelope whose body is the task's [args, kwargs, options], base64-encoded.
        tasks = []
        for raw in reversed(client.lrange(queue, 0, -1)):
            message = json.loads(raw)
            body = message["body"]
            if message["properties"].get("body_encoding") == "base64":
                body = base64.b64decode(body)
            args, kwargs, _ = json.loads(body)
            tasks.append(QueuedTask(message["headers"]["task"], args, kwargs))
        return tasks

    yield waiting
    celery_app.control.purge()
    client.close()


def process_database_url(**query: str) -> str:
    """DATABASE_URL for a process of its own that must use the database this test sees."""
    database = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}")
    return urlunsplit(database._replace(query=urlencode(query)) if query else database)


@pytest.fixture
def procfile_stack(transactional_db):
    """Starts Procfile processes, by their own command lines, on the test database: the web's
    connections are named meditrack-web in pg_stat_activity, an io worker's meditrack-io, and so on.
    `env` adds to their environment. Returns the web's base URL once every process asked for answers."""
    port = procfile.free_port()
    celery_app.control.purge()
    with contextlib.ExitStack() as stack:
        def start(*names: str, env: dict[str, str] | None = None) -> str:
            for name in names:
                url = process_database_url(application_name=f"meditrack-{name}")
                stack.enter_context(procfile.running([name], env={"DATABASE_URL": url, "WEB_PORT": str(port),
                                                                 "LOG_LEVEL": "WARNING", **(env or {})}))
            for name in names:
                if name == "web":
                    # Any answer will do: health takes seconds to report a broker or worker that is down.
                    wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=30),
                               what="web", tolerate=(httpx.HTTPError,))
                elif name != "beat":
                    wait_until(lambda name=name: any(
                        n.startswith(f"{name}@") for reply in celery_app.control.ping(timeout=0.5) for n in reply),
                        what=f"the {name} worker")
            return f"http://127.0.0.1:{port}"

        yield start


@pytest.fixture
def web_without_broker(procfile_stack) -> str:
    """The Procfile's web process with its broker at a port nothing listens on (a real refused connection;
    its database, cache and channel layer are the real ones): its base URL."""
    return procfile_stack("web", env={"CELERY_BROKER_URL": f"redis://127.0.0.1:{procfile.free_port()}/0"})
