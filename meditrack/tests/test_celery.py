import pytest

from meditrack.celery import QUEUES, app, ping


def test_it_runs_a_task_on_a_real_worker_through_the_broker(worker):
    assert ping.delay().get(timeout=10) == "pong"


@pytest.mark.parametrize("queue", ["cpu", "gpu", "io"])
def test_the_worker_consumes_every_queue(worker, queue):
    assert ping.apply_async(queue=queue).get(timeout=10) == "pong"



def test_a_task_sent_to_one_queue_lands_in_that_queue_only():
    with app.connection_for_write() as conn:
        client = conn.default_channel.client
        for queue in QUEUES:
            client.delete(queue)
        ping.apply_async(queue="gpu")
        lengths = {queue: client.llen(queue) for queue in QUEUES}
        client.delete("gpu")
    assert lengths == {"cpu": 0, "gpu": 1, "io": 0}
