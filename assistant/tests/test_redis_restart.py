"""Redis restarted while a reply streams (the worker writes it into a Redis Stream, the web relays it over SSE):
the reply ends, done or as an error keeping its text, never left streaming nor written twice; the reader gets
an end; and the next message is answered."""

import json
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
import redis
from django.conf import settings
from knox.models import AuthToken
from websockets.sync.client import connect

from assistant import streams
from assistant.models import Message
from meditrack.celery import app as celery_app
from meditrack.embedded import redis_start
from meditrack.testing.sse import sse_events
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

REPLY = [f"w{i} " for i in range(60)]


def restart_redis(*, down_s: float) -> None:
    """Stop the embedded Redis as a restart does (SHUTDOWN saves its data), keep it down for down_s, and start
    it again on the same port with the same files."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    home = Path(client.config_get("dir")["dir"])
    process = psutil.Process(client.info("server")["process_id"])
    client.shutdown(save=True)
    client.close()
    process.wait(timeout=30)
    time.sleep(down_s)
    redis_start(home, urlsplit(settings.REDIS_URL).port)
    # This process's pooled broker connections (the fixtures purge and ping through them) went with the old
    # server: drop them and fill the pools again with unopened ones, keeping the pools for the tests that follow
    # (closing them, as a forked child does, leaves Celery's control mailbox holding a closed pool).
    for pool in (celery_app.pool, celery_app.amqp.producer_pool):
        pool.force_close_all(close_pool=False)
        pool.setup()


def resumed(base_url: str, token: str, session_id: int, message_id: int) -> list[dict]:
    """What a client that reconnects to the chat socket and resumes the reply reads, up to its end."""
    frames = []
    with connect(f"{base_url.replace('http', 'ws', 1)}/ws/chat/{session_id}/",
                 additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.send(json.dumps({"type": "resume", "message_id": message_id, "after": -1}))
        while not frames or frames[-1]["type"] not in ("message_done", "error"):
            # Bounded: a stream without its end would keep the reader waiting for its 15 minutes.
            frames.append(json.loads(ws.recv(timeout=20)))
    return frames


def test_a_reply_streaming_through_a_redis_restart_ends_once_and_the_next_message_is_answered(
        patient, session, chat_model, model_server, procfile_stack):
    base_url = procfile_stack("web", "io")
    token = AuthToken.objects.create(user=patient)[1]
    headers = {"Authorization": f"Bearer {token}"}
    model_server.reply = REPLY
    model_server.token_delay = 0.1
    events = []

    def read():
        with httpx.stream("POST", f"{base_url}/api/v1/chat/sessions/{session.pk}/messages", json={"content": "Hi"},
                          headers={**headers, "Accept": "text/event-stream"}, timeout=60) as response:
            assert response.status_code == 200
            events.extend(sse_events(response.iter_lines()))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    wait_until(lambda: sum(kind == "token" for kind, _ in events) >= 5, timeout=30, what="five tokens read")
    restart_redis(down_s=3)  # longer than redis-py's retries hide
    reader.join(timeout=30)
    assert not reader.is_alive(), "the reader was never told the reply ended"

    # The reader's one end: the reply's, or the stream's that broke under it.
    ends = [(kind, data) for kind, data in events if kind in ("done", "error")]
    assert len(ends) == 1 and events[-1] == ends[0]
    assert ends[0][0] == "done" or ends[0][1]["code"] == "stream_failed"
    read_text = "".join(data["text"] for kind, data in events if kind == "token")

    wait_until(lambda: not Message.objects.filter(status="streaming").exists(), timeout=30, what="the reply's end")
    [question, reply] = Message.objects.filter(session=session).order_by("id")
    full = "".join(REPLY)
    if reply.status == "complete":
        assert reply.content == full
    else:  # what the model wrote until the stream broke, once
        assert (reply.status, reply.error_code) == ("error", "stream_failed")
        assert reply.content.startswith(read_text) and full.startswith(reply.content) and reply.content != full
    assert len(model_server.requests) == 1  # the model was not asked twice

    # A client reconnecting to the reply is told it ended, once.
    frames = resumed(base_url, token, session.pk, reply.pk)
    assert [f["type"] for f in frames].count("message_done") + [f["type"] for f in frames].count("error") == 1
    r = redis.Redis.from_url(settings.REDIS_URL)
    assert [e["kind"] for e in streams.read_all(r, streams.stream_key(reply.pk)) if e["kind"] != "tokens"] in (
        ["done"], ["error"])

    # The worker reconnected to its broker: the next message is answered.
    model_server.reply = "Back again."
    answer = httpx.post(f"{base_url}/api/v1/chat/sessions/{session.pk}/messages", json={"content": "Again"},
                        headers=headers, timeout=30)
    assert answer.status_code == 201
    assert (answer.json()["status"], answer.json()["content"]) == ("complete", "Back again.")
    assert Message.objects.filter(session=session).count() == 4
