"""A worker process killed mid-reply: the reply ends, as an error keeping its text, never doubled."""

import os
import signal
import subprocess
import sys

import psutil
import pytest

from assistant import services, streams
from assistant.models import Message
from meditrack.celery import app as celery_app
from meditrack.redis_clients import sync_client
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.waiting import wait_until
from meditrack.testing.workers import process_database_url

pytestmark = pytest.mark.django_db(transaction=True)
QUEUE = "gpu"  # nothing else consumes it during this test


@pytest.fixture
def worker_process():
    hostname = f"crash-{os.getpid()}@localhost"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "--app", "meditrack", "worker", "--queues", QUEUE, "--pool", "prefork",
         "--concurrency", "1", "--hostname", hostname, "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
        env={**os.environ, "DATABASE_URL": process_database_url()},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        def answers() -> bool:
            assert process.poll() is None, "the worker exited"
            return bool(celery_app.control.ping(destination=[hostname], timeout=0.5))

        wait_until(answers, what="the worker")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_killed_worker_never_leaves_a_reply_streaming_or_writes_it_twice(patient, session, model_server,
                                                                           worker_process):
    serve(tier("standard"), model("slow-chat", base_url=f"{model_server.base_url}/v1", model_id="slow-chat",
                                  queue=QUEUE))
    model_server.reply = [f"w{i} " for i in range(300)]
    model_server.token_delay = 0.05
    reply = services.message_send(session=session, content="Tell me everything")
    redis = sync_client()

    def tokens_streamed():
        return sum(len(e["texts"]) for e in streams.read_all(redis, streams.stream_key(reply.pk))
                   if e["kind"] == "tokens")

    wait_until(lambda: tokens_streamed() >= 5, timeout=30, what="five tokens")
    [child] = psutil.Process(worker_process.pid).children()
    child.send_signal(signal.SIGKILL)

    wait_until(lambda: Message.objects.get(pk=reply.pk).status != "streaming", timeout=30, what="the reply's end")
    reply.refresh_from_db()
    assert (reply.status, reply.error_code) == ("error", "interrupted")
    assert reply.content.startswith("w0 w1 w2 w3 w4")
    events = streams.read_all(redis, streams.stream_key(reply.pk))
    assert [e["kind"] for e in events].count("error") == 1 and events[-1]["kind"] == "error"
    assert Message.objects.filter(session=session, role="assistant").count() == 1
    assert len(model_server.requests) == 1  # the redelivered task did not ask the model again
