import pytest

from meditrack.celery import ping


def test_it_runs_a_task_on_a_real_worker_through_the_broker(worker):
    assert ping.delay().get(timeout=10) == "pong"


@pytest.mark.parametrize("queue", ["cpu", "gpu", "io"])
def test_the_worker_consumes_every_queue(worker, queue):
    assert ping.apply_async(queue=queue).get(timeout=10) == "pong"

