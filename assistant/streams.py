"""A reply's tokens in a Redis Stream, `chat:stream:<message_id>`: the task appends, any number of
readers (websocket, SSE, plain HTTP) tail it from any index. Imports nothing from Django.

Entries: {"kind": "tokens", "start": i, "texts": [...]}, then one {"kind": "done", ...} or
{"kind": "error", ...}. A reader that saw index k resumes from k + 1.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator

STREAM_TTL_S = 3600
FLUSH_EVERY_S = 0.05
FLUSH_EVERY_TOKENS = 16
CANCEL_TTL_S = 3600

logger = logging.getLogger(__name__)


def stream_key(message_id: int) -> str:
    return f"chat:stream:{message_id}"


def cancel_key(message_id: int) -> str:
    return f"chat:cancel:{message_id}"


def started_key(message_id: int) -> str:
    return f"chat:started:{message_id}"


def request_cancel(redis, message_id: int) -> None:
    redis.set(cancel_key(message_id), 1, ex=CANCEL_TTL_S)


class StreamWriter:
    """Batches tokens (every 50 ms or 16 tokens, whichever first) and notices a stop between batches."""

    def __init__(self, redis, message_id: int, *, clock=time.monotonic):
        self.redis = redis
        self.key = stream_key(message_id)
        self.message_id = message_id
        self.clock = clock
        self.next_index = 0
        self.cancelled = False
        self._pending: list[str] = []
        self._last_flush = clock()

    def add(self, text: str) -> None:
        self._pending.append(text)
        # The first token goes out at once: time to first token is what a reader feels most.
        if (self.next_index == 0 or len(self._pending) >= FLUSH_EVERY_TOKENS
                or self.clock() - self._last_flush >= FLUSH_EVERY_S):
            self.flush()

    def flush(self) -> None:
        self._last_flush = self.clock()
        pipe = self.redis.pipeline()
        if self._pending:
            pipe.xadd(self.key, {"kind": "tokens", "start": self.next_index, "texts": json.dumps(self._pending)})
            pipe.expire(self.key, STREAM_TTL_S)
            self.next_index += len(self._pending)
            self._pending = []
        pipe.exists(cancel_key(self.message_id))
        self.cancelled = bool(pipe.execute()[-1])

    def finish(self, kind: str, payload: dict) -> None:
        self.flush()
        self.redis.xadd(self.key, {"kind": kind, "payload": json.dumps(payload)})
        self.redis.expire(self.key, STREAM_TTL_S)

    def text_so_far(self) -> str:
        """What earlier runs of this reply wrote (a redelivered task finds it here)."""
        return "".join(text for event in read_all(self.redis, self.key) if event["kind"] == "tokens"
                       for text in event["texts"])


def _decode(fields: dict) -> dict:
    fields = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v
              for k, v in fields.items()}
    if fields["kind"] == "tokens":
        return {"kind": "tokens", "start": int(fields["start"]), "texts": json.loads(fields["texts"])}
    return {"kind": fields["kind"], **json.loads(fields["payload"])}


def read_all(redis, key: str) -> list[dict]:
    return [_decode(fields) for _, fields in redis.xrange(key)]


async def tail(redis, message_id: int, *, after: int = -1, block_ms: int = 2000,
               give_up_s: float = 900) -> AsyncIterator[dict]:
    """Events for the reader, token by token: {"type": "token", "index", "text"}, then the final
    {"type": "done", ...} or {"type": "error", ...}. Tokens up to `after` are skipped (resume).
    Always ends with one of those: a reader left without an end would hang its socket or response."""
    # Each wait stays under redis-py's default 5 s socket timeout; a quiet stream just loops.
    key = stream_key(message_id)
    last_id = "0-0"
    deadline = time.monotonic() + give_up_s
    try:
        while time.monotonic() < deadline:
            batches = await redis.xread({key: last_id}, block=block_ms, count=100)
            for _, entries in batches or []:
                for entry_id, fields in entries:
                    last_id = entry_id
                    event = _decode(fields)
                    if event["kind"] == "tokens":
                        for offset, text in enumerate(event["texts"]):
                            index = event["start"] + offset
                            if index > after:
                                yield {"type": "token", "index": index, "text": text}
                    else:
                        yield {"type": event.pop("kind"), **event}
                        return
    except Exception as exc:  # the error's text could quote the stream: only its type is logged
        logger.error("reply stream unreadable", extra={"message_id": message_id, "error": type(exc).__name__})
        yield {"type": "error", "message_id": message_id, "code": "stream_failed",
               "detail": "The live stream broke; the reply is still being saved. Reload to see it."}
        return
    yield {"type": "error", "message_id": message_id, "code": "timeout", "detail": "The reply did not finish in time."}
