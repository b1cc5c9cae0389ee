"""Sending work to the workers: one way, with one policy for a broker that is down."""

import logging
from collections.abc import Callable

from celery import Task
from django.db import transaction

from meditrack.errors import ApplicationError

logger = logging.getLogger(__name__)


def enqueue(task: Task, *, queue: str, args: tuple = (), kwargs: dict | None = None,
            undo: Callable[[], None] | None = None) -> None:
    """Send a task once the current transaction commits (at once outside one). A broker that cannot take
    it: `undo` takes back what was saved for the task, and the caller gets a 503, so nothing is left
    half-started (a reply forever 'streaming', a report forever 'queued')."""
    def send() -> None:
        try:
            task.apply_async(args=list(args), kwargs=kwargs or {}, queue=queue)
        except Exception as exc:  # kombu and redis-py each have their own errors for a broker that is down
            logger.exception("task not queued", extra={"task": task.name, "queue": queue})
            if undo is not None:
                undo()
            raise ApplicationError("The work queue is not answering, so nothing was started. Try again shortly.",
                                   code="queue_unavailable", status_code=503) from exc

    transaction.on_commit(send)
