import socket
import subprocess
import threading
import time

import pytest
import redis

from assistant import services, streams
from assistant.models import Message
from meditrack.redis_clients import sync_client
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_regenerated_reply_deleted_before_its_task_ran_ends_the_wait_with_a_404(patient_api, session, chat_model):
    question = session.messages.create(role=Message.Role.USER, content="Hello")
    session.messages.create(role=Message.Role.ASSISTANT, status=Message.Status.COMPLETE, content="Hi.",
                            reply_to=question)
    answers = []
    waiting = threading.Thread(daemon=True, target=lambda: answers.append(
        patient_api.post(f"/api/v1/chat/sessions/{session.pk}/regenerate")))
    waiting.start()
    reply = wait_until(lambda: Message.objects.filter(session=session, status=Message.Status.STREAMING).first())
    session.delete()  # the chat is deleted meanwhile, in another tab
    services.reply_generate(message_id=reply.pk)  # the worker takes the task and finds no reply
    waiting.join(timeout=10)
    assert not waiting.is_alive(), "the request still waits for a reply that no longer exists"
    assert answers[0].status_code == 404
    assert answers[0].json()["error"]["code"] == "not_found"


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of the test's own, which it may stop: the shared one serves the fixtures too."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    wait_until(client.ping, tolerate=(redis.ConnectionError,), timeout=10)
    yield server, f"redis://127.0.0.1:{port}/0", client
    server.kill()
    server.wait()


@pytest.fixture
def writer_redis(own_redis, settings):
    """own_redis as the Redis the reply's writer uses (the process's client is made once per URL)."""
    settings.REDIS_URL = own_redis[1]
    settings.CHAT_END_ANNOUNCE_RETRY_S = 0  # it stays down: no use waiting for it
    sync_client.cache_clear()
    yield own_redis
    sync_client.cache_clear()


def test_a_redis_error_mid_reply_closes_the_model_request_and_saves_the_text_so_far(
        session, chat_model, model_server, writer_redis):
    server, _, client = writer_redis
    model_server.reply = [f"word{i} " for i in range(40)]
    model_server.token_delay = 0.05
    question = session.messages.create(role=Message.Role.USER, content="Hello")
    reply = session.messages.create(role=Message.Role.ASSISTANT, status=Message.Status.STREAMING, reply_to=question)

    def stop_redis_once_tokens_were_written():
        wait_until(lambda: client.exists(streams.stream_key(reply.pk)), timeout=10)
        server.kill()
        server.wait()

    stopper = threading.Thread(target=stop_redis_once_tokens_were_written, daemon=True)
    stopper.start()
    services.reply_generate(message_id=reply.pk)
    stopper.join(timeout=10)
    reply.refresh_from_db()
    assert (reply.status, reply.error_code) == ("error", "stream_failed")
    assert reply.content.startswith("word0 ") and "word39" not in reply.content
    assert model_server.wait_for_disconnect(timeout=5), "the model kept writing to a reply no one would see"
    assert model_server.requests[0].tokens_sent < 40


def test_a_reply_past_its_deadline_is_cut_by_the_task_itself(session, chat_model, model_server, settings):
    # As on the GPU's solo pool, which enforces no time limit: the task is its own clock.
    settings.CELERY_TASK_SOFT_TIME_LIMIT = 1
    model_server.reply = [f"word{i} " for i in range(60)]
    model_server.token_delay = 0.1
    question = session.messages.create(role=Message.Role.USER, content="Hello")
    reply = session.messages.create(role=Message.Role.ASSISTANT, status=Message.Status.STREAMING, reply_to=question)
    started = time.monotonic()
    services.reply_generate(message_id=reply.pk)
    assert time.monotonic() - started < 4
    reply.refresh_from_db()
    assert reply.status == "cut" and reply.finish_reason == "timeout"
    assert reply.content.startswith("word0 ") and "word59" not in reply.content
    assert model_server.wait_for_disconnect(timeout=5)
