"""The Celery app. Queues: `cpu` (default), `gpu` (local models), `io` (calls to remote services).

Django's Celery fixup closes each task's database connections before and after it runs, so a
task never holds one of the pool's connections while it waits on the broker.
"""

import os
import signal
import threading

from celery import Celery
from celery.concurrency.solo import TaskPool as SoloPool
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import celeryd_after_setup, task_postrun, task_prerun
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meditrack.settings")

QUEUES = ("cpu", "gpu", "io")

app = Celery("meditrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue its own exchange and key: a task sent to one queue is delivered to that one only.
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in QUEUES]
app.autodiscover_tasks()


@celeryd_after_setup.connect
def _io_workers_run_no_local_model(sender, instance, **kwargs):
    if set(instance.app.amqp.queues.consume_from) == {"io"}:
        from meditrack.inference.backends import forbid_local_models

        forbid_local_models()
    if issubclass(instance.pool_cls, SoloPool) and threading.current_thread() is threading.main_thread():
        _enforce_soft_time_limits()


def _enforce_soft_time_limits() -> None:
    """The solo pool (the gpu worker) enforces no time limit, and prefork's is a signal to the child that runs
    the task: here the same signal comes from an alarm in the one process, so a task past its soft limit gets
    SoftTimeLimitExceeded as it would on a prefork worker, and the worker moves on."""
    def expired(signum, frame):
        raise SoftTimeLimitExceeded("the task ran past its soft time limit")

    def arm(task=None, **kwargs):
        limit = task.soft_time_limit or app.conf.task_soft_time_limit
        if limit:
            signal.setitimer(signal.ITIMER_REAL, limit)

    def disarm(**kwargs):
        signal.setitimer(signal.ITIMER_REAL, 0)

    signal.signal(signal.SIGALRM, expired)
    task_prerun.connect(arm, weak=False)
    task_postrun.connect(disarm, weak=False)


@app.task(name="meditrack.ping")
def ping() -> str:
    return "pong"
