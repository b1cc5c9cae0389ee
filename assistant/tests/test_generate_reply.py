"""The generation task on its own: idempotent, never stuck, never a second reply."""

from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from assistant import services, streams
from assistant.models import Message
from assistant.tasks import generate_reply, sweep_stuck_replies
from meditrack.celery import app as celery_app
from meditrack.inference import backends
from meditrack.inference.backends import local
from meditrack.redis_clients import sync_client
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.tiny_models import build_causal_lm
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def ask(session, content="Hello"):
    question = session.messages.create(role="user", content=content)
    return session.messages.create(role="assistant", status="streaming", reply_to=question)


def events(message_id):
    return streams.read_all(sync_client(), streams.stream_key(message_id))


def test_a_redelivered_task_for_a_finished_reply_writes_nothing(session, chat_model, model_server):
    reply = ask(session)
    services.reply_generate(message_id=reply.pk)
    services.reply_generate(message_id=reply.pk)
    assert len(model_server.requests) == 1
    assert [e["kind"] for e in events(reply.pk)].count("done") == 1
    assert Message.objects.filter(role="assistant").count() == 1


def test_a_reply_whose_worker_died_mid_way_ends_as_an_error_keeping_its_text(session, chat_model, model_server):
    reply = ask(session)
    r = sync_client()
    # What a run that died after two tokens leaves behind.
    r.set(streams.started_key(reply.pk), 1)
    writer = streams.StreamWriter(r, reply.pk)
    writer.add("Half")
    writer.add(" an answer")
    writer.flush()
    services.reply_generate(message_id=reply.pk)
    reply.refresh_from_db()
    assert (reply.status, reply.error_code, reply.content) == ("error", "interrupted", "Half an answer")
    assert events(reply.pk)[-1]["kind"] == "error"
    assert model_server.requests == []


def test_a_stop_before_the_task_starts_cancels_without_calling_the_model(session, chat_model, model_server):
    reply = ask(session)
    services.message_stop(session=session)
    services.reply_generate(message_id=reply.pk)
    reply.refresh_from_db()
    assert reply.status == "cancelled"
    assert model_server.requests == []


def test_a_stream_cut_mid_way_is_saved_as_cut(session, chat_model, model_server):
    model_server.reply = ["one", " two", " three"]
    model_server.cut_stream_after(2)
    reply = ask(session)
    services.reply_generate(message_id=reply.pk)
    reply.refresh_from_db()
    assert (reply.status, reply.content, reply.error_code) == ("cut", "one two", "stream_interrupted")
    assert events(reply.pk)[-1]["status"] == "cut"


def test_the_model_sees_the_conversation_since_the_reset_with_the_system_prompt(session, chat_model, model_server):
    session.messages.create(role="user", content="old question")
    session.messages.create(role="assistant", content="old answer")
    services.session_reset(session=session)
    session.messages.create(role="user", content="newer question")
    session.messages.create(role="assistant", content="", status="error")
    reply = ask(session, "latest question")
    services.reply_generate(message_id=reply.pk)
    sent = model_server.last_request.json["messages"]
    assert sent[0]["role"] == "system" and "not a doctor" in sent[0]["content"]
    assert [m["content"] for m in sent[1:]] == ["newer question", "latest question"]


def test_an_answer_regenerated_after_a_reset_still_sees_its_question(session, chat_model, model_server):
    first = ask(session, "What helps with a headache?")
    services.reply_generate(message_id=first.pk)
    services.session_reset(session=session)
    again = services.message_regenerate(session=session)
    services.reply_generate(message_id=again.pk)
    sent = model_server.last_request.json["messages"]
    assert [m["content"] for m in sent[1:]] == ["What helps with a headache?"]


def test_the_sweeper_ends_replies_stuck_in_streaming(session, settings):
    stuck = ask(session)
    Message.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120))
    fresh = ask(session)
    assert sweep_stuck_replies() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert (stuck.status, stuck.error_code) == ("error", "timeout")
    assert fresh.status == "streaming"
    assert events(stuck.pk)[-1] == {"kind": "error", "message_id": stuck.pk, "code": "timeout",
                                    "detail": "The reply took too long and was stopped."}


def test_the_task_runs_on_a_real_worker(session, chat_model, chat_worker):
    reply = ask(session)
    generate_reply.apply_async(args=[reply.pk], queue="io")
    wait_until(lambda: Message.objects.get(pk=reply.pk).status == "complete", timeout=10, what="the reply")


@pytest.fixture
def local_fallback(chat_model, tmp_path, monkeypatch):
    """The tier's remote model first, then a tiny local model that runs on the gpu queue."""
    monkeypatch.setenv("MEDITRACK_MODEL_CACHE", str(tmp_path / "models"))
    path = build_causal_lm(tmp_path / "tiny-lm")
    serve(tier("standard", max_new_tokens=8), chat_model,
          model("tiny-local", backend="local", model_id=str(path), queue="gpu", parameters={"do_sample": False}))
    local.unload_all()
    yield
    local.unload_all()


def test_an_io_worker_hands_a_reply_to_the_local_models_queue_without_loading_it(session, model_server,
                                                                                local_fallback, monkeypatch):
    model_server.fail_next(401, times=None)  # the remote model refuses the token: the next one is local
    reply = ask(session)
    celery_app.control.purge()  # tasks earlier tests left behind
    monkeypatch.setattr(backends, "_local_models_allowed", False)  # as in a worker that takes only io
    services.reply_generate(message_id=reply.pk)
    assert local.loaded_models() == []
    reply.refresh_from_db()
    assert reply.status == "streaming" and not events(reply.pk)
    monkeypatch.setattr(backends, "_local_models_allowed", True)  # the gpu worker takes the hand-over
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=["gpu"]):
        wait_until(lambda: Message.objects.get(pk=reply.pk).status != "streaming", timeout=10, what="the hand-over")
    reply.refresh_from_db()
    assert (reply.status, reply.model) == ("complete", "tiny-local") and reply.content
