import json

import httpx
import pytest
from django.conf import settings
from django.test import AsyncClient
from rest_framework.test import APIClient

from assistant import services, streams
from assistant.models import ChatSession, Message
from meditrack.redis_clients import sync_client
from meditrack.testing.people import token_for
from meditrack.testing.waiting import wait_until
from meditrack.testing.websocket import session_key_for

pytestmark = pytest.mark.django_db(transaction=True)


def url(session, tail="messages"):
    return f"/api/v1/chat/sessions/{session.pk}/{tail}"


def test_without_sse_the_finished_reply_comes_back_as_json(patient_api, session, chat_model, chat_worker):
    r = patient_api.post(url(session), {"content": "Hello"}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert (body["role"], body["status"], body["content"]) == ("assistant", "complete",
                                                               "Hello! This is the loopback model.")
    assert body["model"] == "loopback-chat" and body["tokens_out"] == 6


@pytest.mark.asyncio
async def test_with_sse_tokens_arrive_as_events_then_done(patient, session, chat_model, model_server, chat_worker):
    model_server.reply = ["One", " two", " three"]
    client = AsyncClient()
    client.cookies[settings.SESSION_COOKIE_NAME] = await session_key_for(patient)
    response = await client.post(url(session), {"content": "Count"}, content_type="application/json",
                                  headers={"accept": "text/event-stream"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    events = []
    async for chunk in response.streaming_content:
        for block in chunk.decode().strip().split("\n\n"):
            name, data = block.split("\n")
            events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    assert [name for name, _ in events] == ["started", "token", "token", "token", "done"]
    assert [data["text"] for name, data in events if name == "token"] == ["One", " two", " three"]
    assert events[-1][1]["content"] == "One two three"


@pytest.mark.asyncio
async def test_a_stream_that_breaks_mid_reply_ends_with_an_error_event(patient, session, chat_model):
    client = AsyncClient()
    client.cookies[settings.SESSION_COOKIE_NAME] = await session_key_for(patient)
    response = await client.post(url(session), {"content": "Count"}, content_type="application/json",
                                  headers={"accept": "text/event-stream"})
    chunks = aiter(response.streaming_content)
    started = json.loads((await anext(chunks)).decode().split("data: ", 1)[1])
    # An entry no reader can decode: the response must still end, and say why.
    sync_client().xadd(streams.stream_key(started["message_id"]), {"kind": "tokens", "start": "x", "texts": "[]"})
    rest = b"".join([chunk async for chunk in chunks]).decode()
    assert rest.startswith("event: error\n")
    error = json.loads(rest.split("data: ", 1)[1])
    assert (error["code"], error["message_id"]) == ("stream_failed", started["message_id"])


@pytest.mark.asyncio
async def test_chat_send_streams_plain_text_in_the_default_session(patient, chat_model, chat_worker):
    client = AsyncClient()
    client.cookies[settings.SESSION_COOKIE_NAME] = await session_key_for(patient)
    r = await client.post("/api/v1/chat/send", {"message": "Hi"}, content_type="application/json")
    assert r.status_code == 200
    assert r["Content-Type"] == "text/plain; charset=utf-8"
    assert b"".join([chunk async for chunk in r.streaming_content]) == b"Hello! This is the loopback model."
    session = await ChatSession.objects.aget(owner=patient)
    assert r["X-Session-Id"] == str(session.pk)
    assert session.title == "Hi"


def test_reset_keeps_old_messages_visible_but_out_of_the_prompt(patient_api, session, chat_model, model_server,
                                                                 chat_worker):
    patient_api.post(url(session), {"content": "My name is Alice"}, format="json")
    assert patient_api.post(url(session, "reset")).status_code == 200
    patient_api.post(url(session), {"content": "What is my name?"}, format="json")
    sent = [m["content"] for m in model_server.last_request.json["messages"]]
    assert "My name is Alice" not in sent and sent[-1] == "What is my name?"
    assert len(patient_api.get(url(session)).json()["results"]) == 4


def test_regenerate_replaces_the_last_answer(patient_api, session, chat_model, model_server, chat_worker):
    model_server.reply = "First try."
    patient_api.post(url(session), {"content": "Hello"}, format="json")
    model_server.reply = "Second try."
    r = patient_api.post(url(session, "regenerate"))
    assert r.status_code == 201 and r.json()["content"] == "Second try."
    answers = Message.objects.filter(session=session, role="assistant")
    assert list(answers.values_list("content", flat=True)) == ["Second try."]
    assert [m["role"] for m in model_server.last_request.json["messages"]] == ["system", "user"]


def test_stop_over_http_cancels_the_reply(patient_api, session, chat_model, model_server, chat_worker):
    model_server.reply = ["tok "] * 500
    model_server.token_delay = 0.01
    client = APIClient()
    client.force_authenticate(session.owner)
    reply_id = client.post("/api/v1/chat/send", {"message": "go", "session_id": session.pk},
                           format="json")["X-Message-Id"]
    assert model_server.wait_for(lambda s: s.requests and s.requests[-1].tokens_sent > 3, timeout=5)
    assert patient_api.post(url(session, "stop")).status_code == 202
    reply = wait_until(lambda: (m := Message.objects.get(pk=reply_id)).status != "streaming" and m, timeout=5,
                       what="the reply's end")
    assert reply.status == "cancelled" and reply.content.startswith("tok tok tok")


@pytest.mark.parametrize("method, tail", [("get", "messages"), ("post", "messages"), ("post", "reset"),
                                          ("post", "stop"), ("post", "regenerate")])
def test_another_users_session_is_a_404(patient_api, other_patient, method, tail):
    foreign = ChatSession.objects.create(owner=other_patient)
    r = getattr(patient_api, method)(url(foreign, tail), {"content": "x"}, format="json")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_sessions_list_only_the_callers_own(patient_api, patient, other_patient):
    ChatSession.objects.create(owner=patient, title="mine")
    ChatSession.objects.create(owner=other_patient, title="theirs")
    assert [s["title"] for s in patient_api.get("/api/v1/chat/sessions").json()["results"]] == ["mine"]


def test_picking_a_model_keeps_a_title_set_meanwhile(patient_api, session, chat_model):
    stale = ChatSession.objects.get(pk=session.pk)
    session.title = "Set by the first message"
    session.save()
    services.session_update(session=stale, model="loopback-chat")
    session.refresh_from_db()
    assert (session.title, session.model) == ("Set by the first message", "loopback-chat")


def test_a_session_cannot_pick_a_model_outside_the_tier(patient_api, chat_model):
    r = patient_api.post("/api/v1/chat/sessions", {"model": "premium-only"}, format="json")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "model_not_allowed"


@pytest.mark.parametrize("payload", [{}, {"content": ""}, {"content": "x" * 8001}, {"content": ["a"]}])
def test_bad_messages_are_400_and_nothing_is_saved(patient_api, session, payload):
    r = patient_api.post(url(session), payload, format="json")
    assert r.status_code == 400
    assert "content" in r.json()["error"]["fields"]
    assert not Message.objects.exists()


def test_an_error_asked_for_as_sse_comes_as_an_error_event(patient_api, session):
    r = patient_api.post(url(session), {"content": ""}, format="json", HTTP_ACCEPT="text/event-stream")
    assert r.status_code == 400
    assert r.content.startswith(b"event: error\ndata: {")


def test_the_messages_are_never_a_page_sent_as_an_error_event(patient_api, session):
    session.messages.create(role="user", content="Hello")
    assert patient_api.get(url(session), HTTP_ACCEPT="text/event-stream").status_code == 406
    assert patient_api.get(url(session), {"format": "sse"}).status_code == 404
    page = patient_api.get(url(session), HTTP_ACCEPT="text/event-stream, application/json")
    assert page["Content-Type"] == "application/json" and page.json()["results"][0]["content"] == "Hello"


def test_a_second_message_while_a_reply_streams_is_409(patient_api, session, chat_model):
    Message.objects.create(session=session, role="assistant", status="streaming")
    r = patient_api.post(url(session), {"content": "again"}, format="json")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "busy"


def test_a_message_the_broker_cannot_take_is_a_503_and_leaves_the_session_free(patient, patient_api, session,
                                                                                chat_model, web_without_broker):
    r = httpx.post(f"{web_without_broker}{url(session)}", json={"content": "Hello"},
                   headers={"Authorization": f"Bearer {token_for(patient)}"}, timeout=30)
    assert r.status_code == 503 and r.json()["error"]["code"] == "queue_unavailable"
    assert not Message.objects.filter(session=session).exists()
    # This process's broker answers: the refused message left the session free.
    assert patient_api.post(url(session), {"content": "Hello"}, format="json",
                            HTTP_ACCEPT="text/event-stream").status_code == 200
