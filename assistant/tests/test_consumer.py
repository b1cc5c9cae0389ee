import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from assistant import streams
from assistant.models import ChatSession
from meditrack.asgi import application
from meditrack.redis_clients import sync_client
from meditrack.testing.websocket import ORIGIN, cookie_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def open_chat(user, session_id, timeout=5):
    ws = WebsocketCommunicator(application, f"/ws/chat/{session_id}/", headers=[ORIGIN, (b"cookie",
                                                                                         await cookie_for(user))])
    connected, _ = await ws.connect(timeout=timeout)
    assert connected
    return ws


async def until_done(ws, timeout=10):
    frames = []
    while True:
        frame = await ws.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] in ("message_done", "error"):
            return frames


@database_sync_to_async
def messages_of(session):
    return list(session.messages.order_by("id").values("role", "content", "status", "client_id"))


async def test_a_reply_streams_token_by_token_in_order_and_is_saved(patient, session, chat_model, model_server,
                                                                    chat_worker):
    model_server.reply = ["Drink", " water", ",", " rest", " well", "."]
    ws = await open_chat(patient, session.pk)
    await ws.send_json_to({"type": "user_message", "content": "How do I recover from a cold?",
                           "client_id": str(uuid.uuid4())})
    started = await ws.receive_json_from(timeout=5)
    assert started["type"] == "message_started"
    frames = await until_done(ws)
    tokens = [f for f in frames if f["type"] == "token"]
    assert [t["index"] for t in tokens] == list(range(6))
    assert "".join(t["text"] for t in tokens) == "Drink water, rest well."
    done = frames[-1]
    assert done["type"] == "message_done" and done["message_id"] == started["message_id"]
    assert (done["content"], done["finish_reason"], done["citations"]) == ("Drink water, rest well.", "stop", [])
    assert done["usage"]["tokens_out"] == 6 and done["usage"]["time_to_first_token_ms"] > 0
    saved = await messages_of(session)
    assert [(m["role"], m["status"]) for m in saved] == [("user", "complete"), ("assistant", "complete")]
    assert saved[1]["content"] == "Drink water, rest well."
    await ws.disconnect()


async def test_a_resent_message_is_not_duplicated(patient, session, chat_model, chat_worker):
    ws = await open_chat(patient, session.pk)
    client_id = str(uuid.uuid4())
    await ws.send_json_to({"type": "user_message", "content": "Hello", "client_id": client_id})
    first = await ws.receive_json_from(timeout=5)
    await until_done(ws)
    await ws.send_json_to({"type": "user_message", "content": "Hello", "client_id": client_id})
    again = await ws.receive_json_from(timeout=5)
    assert again["message_id"] == first["message_id"]
    await until_done(ws)
    assert len(await messages_of(session)) == 2
    await ws.disconnect()


async def test_stop_ends_the_reply_before_the_model_does_and_keeps_the_text_so_far(patient, session, chat_model,
                                                                                   model_server, chat_worker):
    model_server.reply = [f"word{i} " for i in range(400)]
    model_server.token_delay = 0.02
    ws = await open_chat(patient, session.pk)
    await ws.send_json_to({"type": "user_message", "content": "Tell me a long story"})
    await ws.receive_json_from(timeout=5)
    for _ in range(5):
        assert (await ws.receive_json_from(timeout=5))["type"] == "token"
    await ws.send_json_to({"type": "stop"})
    frames = await until_done(ws)
    done = frames[-1]
    assert done["type"] == "message_done" and done["status"] == "cancelled"
    assert done["content"] != "".join(model_server.reply)  # cut short, not waited out
    assert model_server.wait_for_disconnect(timeout=3)
    saved = await messages_of(session)
    assert saved[1]["status"] == "cancelled"
    assert saved[1]["content"] == done["content"] and done["content"].startswith("word0 word1 word2 word3 word4")
    await ws.disconnect()


async def test_closing_the_tab_does_not_lose_the_answer_and_resume_replays_it(patient, session, chat_model,
                                                                             model_server, chat_worker):
    model_server.reply = [f"t{i} " for i in range(30)]
    model_server.token_delay = 0.01
    ws = await open_chat(patient, session.pk)
    await ws.send_json_to({"type": "user_message", "content": "Hi"})
    message_id = (await ws.receive_json_from(timeout=5))["message_id"]
    seen = [await ws.receive_json_from(timeout=5) for _ in range(3)]
    await ws.disconnect()
    other_tab = await open_chat(patient, session.pk)
    await other_tab.send_json_to({"type": "resume", "message_id": message_id, "after": seen[-1]["index"]})
    frames = await until_done(other_tab)
    tokens = [f for f in frames if f["type"] == "token"]
    assert [t["index"] for t in tokens] == list(range(3, 30))
    assert "".join(s["text"] for s in seen) + "".join(t["text"] for t in tokens) == frames[-1]["content"]
    await other_tab.disconnect()


@pytest.mark.parametrize("session_of", ["stranger", "nobody"])
async def test_a_foreign_or_unknown_session_closes_with_4404(patient, other_patient, session_of):
    foreign = await database_sync_to_async(ChatSession.objects.create)(owner=other_patient)
    session_id = foreign.pk if session_of == "stranger" else foreign.pk + 1000
    ws = WebsocketCommunicator(application, f"/ws/chat/{session_id}/",
                               headers=[ORIGIN, (b"cookie", await cookie_for(patient))])
    await ws.connect()
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    await ws.disconnect()


async def test_an_anonymous_socket_closes_with_4401(session):
    ws = WebsocketCommunicator(application, f"/ws/chat/{session.pk}/", headers=[ORIGIN])
    await ws.connect()
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    await ws.disconnect()


@pytest.mark.parametrize("frame, code", [
    ("not json", "bad_frame"),
    ("[1, 2]", "bad_frame"),
    ('{"type": "dance"}', "bad_frame"),
    ('{"type": "user_message", "content": "   "}', "invalid"),
    ('{"type": "user_message", "content": 42}', "invalid"),
    ('{"type": "user_message", "content": "hi", "client_id": "nope"}', "invalid"),
    ('{"type": "user_message", "content": "' + "x" * 9000 + '"}', "too_long"),
    ('{"type": "resume", "message_id": "1"}', "invalid"),
    ('{"type": "resume", "message_id": 999999, "after": 0}', "not_found"),
    # What the API refuses too, and what once closed the socket with 1011 instead.
    ('{"type": "user_message", "content": "before\\u0000after"}', "invalid"),
    ('{"type": "user_message", "content": "a lone \\ud800 surrogate"}', "invalid"),
    ("[" * 200_000, "bad_frame"),
])
async def test_bad_frames_get_a_clear_error_and_nothing_is_saved(patient, session, chat_model, frame, code):
    ws = await open_chat(patient, session.pk)
    await ws.send_to(text_data=frame)
    error = await ws.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", code)
    assert await messages_of(session) == []
    await ws.send_to(text_data='{"type": "stop"}')  # still alive
    assert await ws.receive_nothing(timeout=0.2)
    await ws.disconnect()


async def test_a_flood_of_frames_is_throttled(patient, session):
    ws = await open_chat(patient, session.pk)
    for _ in range(25):
        await ws.send_to(text_data='{"type": "stop"}')
    error = await ws.receive_json_from(timeout=5)
    assert error["code"] == "throttled"
    await ws.disconnect()


async def test_a_model_the_tier_may_not_use_is_refused(patient, session, chat_model):
    session.model = "premium-only"
    await database_sync_to_async(session.save)()
    ws = await open_chat(patient, session.pk)
    await ws.send_json_to({"type": "user_message", "content": "hi"})
    error = await ws.receive_json_from(timeout=5)
    assert error["code"] == "model_not_allowed"
    assert await messages_of(session) == []
    await ws.disconnect()


async def test_a_stream_that_breaks_mid_reply_ends_that_reply_with_an_error(patient, session, chat_model):
    ws = await open_chat(patient, session.pk)
    await ws.send_json_to({"type": "user_message", "content": "Count"})
    started = await ws.receive_json_from(timeout=5)
    # An entry no reader can decode: the page must still learn which reply ended, to mark it and unlock the input.
    sync_client().xadd(streams.stream_key(started["message_id"]), {"kind": "tokens", "start": "x", "texts": "[]"})
    error = await ws.receive_json_from(timeout=5)
    assert (error["type"], error["code"], error["message_id"]) == ("error", "stream_failed", started["message_id"])
    await ws.disconnect()


async def test_a_model_that_fails_ends_the_reply_as_an_error_the_user_can_read(patient, session, chat_model,
                                                                               model_server, chat_worker):
    model_server.fail_next(401)
    ws = await open_chat(patient, session.pk)
    await ws.send_json_to({"type": "user_message", "content": "hi"})
    await ws.receive_json_from(timeout=5)
    error = (await until_done(ws))[-1]
    assert (error["type"], error["code"]) == ("error", "model_auth")
    assert (await messages_of(session))[1]["status"] == "error"
    await asyncio.sleep(0)
    await ws.disconnect()
