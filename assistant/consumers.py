"""/ws/chat/<session_id>/: authenticates, checks the session is the user's, hands user frames to the
services and relays the reply's Redis Stream. It holds no database connection while tokens flow."""

import asyncio
import time

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from assistant import selectors, services, streams
from assistant.models import ChatSession
from assistant.serializers import MessageInputSerializer
from meditrack import json_input
from meditrack.accounts.consumers import CLOSE_UNAUTHENTICATED
from meditrack.db import db_sync_to_async
from meditrack.errors import ApplicationError
from meditrack.inference.errors import InferenceError
from meditrack.redis_clients import async_client

CLOSE_NOT_FOUND = 4404
FRAMES_PER_WINDOW = 20
WINDOW_S = 10.0


@db_sync_to_async
def _own_session(user, session_id: int) -> ChatSession | None:
    try:
        return selectors.session_get(owner=user, session_id=session_id)
    except Http404:
        return None


@db_sync_to_async
def _send(session, content, client_id) -> int:
    return services.message_send(session=session, content=content, client_id=client_id).pk


@db_sync_to_async
def _stop(session) -> int | None:
    reply = services.message_stop(session=session)
    return reply.pk if reply else None


@db_sync_to_async
def _reply_in_session(session, message_id) -> bool:
    return selectors.reply_in_session(session=session, message_id=message_id)


def _first_error(errors: dict) -> tuple[str, str]:
    name, messages = next(iter(errors.items()))
    code = "too_long" if messages[0].code == "max_length" else "invalid"
    return code, f"{name}: {messages[0]}"


class ChatConsumer(AsyncJsonWebsocketConsumer):
    # Replies come from Redis Streams, not the channel layer: no channel (and no idle BRPOP) per socket.
    channel_layer_alias = "none"
    session = None
    relay: asyncio.Task | None = None

    async def connect(self):
        await self.accept()
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.session = await _own_session(user, self.scope["url_route"]["kwargs"].get("session_id"))
        if self.session is None:  # unknown or someone else's: the same answer, no hint which
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.frames: list[float] = []

    @classmethod
    async def decode_json(cls, text_data):
        return json_input.loads(text_data)

    async def disconnect(self, code):
        # Closing the tab stops the relay, never the generation: the reply is saved all the same.
        if self.relay is not None:
            self.relay.cancel()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if self.session is None:
            return
        if not self._allow_frame():
            await self._error("throttled", f"At most {FRAMES_PER_WINDOW} frames every {WINDOW_S:g} seconds.")
            return
        try:
            frame = await self.decode_json(text_data) if text_data else None
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self._error("bad_frame", "Frames are JSON objects with a \"type\".")
            return
        handler = {"user_message": self._on_user_message, "stop": self._on_stop, "resume": self._on_resume}.get(
            frame.get("type"))
        if handler is None:
            await self._error("bad_frame", "Unknown frame type: use user_message, stop or resume.")
            return
        try:
            await handler(frame)
        except (ApplicationError, InferenceError) as exc:
            await self._error(exc.code, exc.detail)

    def _allow_frame(self) -> bool:
        now = time.monotonic()
        self.frames = [t for t in self.frames if now - t < WINDOW_S] + [now]
        return len(self.frames) <= FRAMES_PER_WINDOW

    async def _on_user_message(self, frame):
        if not isinstance(frame.get("content"), str):
            await self._error("invalid", "content must be a string.")
            return
        # The API's own serializer, so a NUL or a lone surrogate is refused here as it is there.
        data = MessageInputSerializer(data={key: frame[key] for key in ("content", "client_id") if frame.get(key)})
        if not data.is_valid():
            await self._error(*_first_error(data.errors))
            return
        content, client_id = data.validated_data["content"], data.validated_data.get("client_id")
        message_id = await _send(self.session, content, client_id)
        await self.send_json({"type": "message_started", "message_id": message_id})
        self._relay(message_id, after=-1)

    async def _on_stop(self, frame):
        await _stop(self.session)

    async def _on_resume(self, frame):
        message_id, after = frame.get("message_id"), frame.get("after", -1)
        if not isinstance(message_id, int) or not isinstance(after, int):
            await self._error("invalid", "resume needs an integer message_id and after.")
            return
        if not await _reply_in_session(self.session, message_id):
            await self._error("not_found", "No such message in this session.")
            return
        self._relay(message_id, after=after)

    def _relay(self, message_id: int, *, after: int) -> None:
        if self.relay is not None:
            self.relay.cancel()
        self.relay = asyncio.ensure_future(self._forward(message_id, after))

    async def _forward(self, message_id: int, after: int) -> None:
        async for event in streams.tail(async_client(), message_id, after=after):
            kind = event.pop("type")
            if kind == "token":
                await self.send_json({"type": "token", "message_id": message_id, **event})
            elif kind == "done":
                await self.send_json({"type": "message_done", **event})
            else:
                await self.send_json({"type": "error", **event})

    async def _error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})
