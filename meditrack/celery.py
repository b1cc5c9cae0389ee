"""The Celery app. Queues: `cpu` (default), `gpu` (local models), `io` (calls to remote services).

Django's Celery fixup closes each task's database connections before and after it runs, so a
task never holds one of the pool's connections while it waits on the broker.
"""

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meditrack.settings")

QUEUES = ("cpu", "gpu", "io")

app = Celery("meditrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue its own exchange and key: a task sent to one queue is delivered to that one only.
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in QUEUES]
app.autodiscover_tasks()


@app.task(name="meditrack.ping")
def ping() -> str:
    return "pong"
