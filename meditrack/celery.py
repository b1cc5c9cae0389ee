"""The Celery app. Queues: `cpu` (default), `gpu` (local models), `io` (calls to remote services).

Django's Celery fixup closes each task's database connections before and after it runs, so a
task never holds one of the pool's connections while it waits on the broker.
"""

import os

from celery import Celery
from celery.signals import celeryd_after_setup
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


@app.task(name="meditrack.ping")
def ping() -> str:
    return "pong"
