"""A chat reply as it streams: guards applied, usage and finish reason known at the end.
Imports nothing from Django."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from meditrack.inference.errors import InferenceError, StreamInterrupted
from meditrack.inference.guards import RepetitionGuard
from meditrack.inference.types import ModelSpec, TokenCounter


def open_stream(pieces: Iterator[str]) -> tuple[str, Iterator[str]]:
    """Pull the first piece, so that a model that fails at once fails here, where retries and
    fallback still can help. An empty reply is a first piece of ''."""
    try:
        first = next(pieces)
    except StopIteration:
        return "", pieces
    except BaseException:
        pieces.close()
        raise
    return first, pieces


class ChatStream:
    """Iterate for the text pieces. Afterwards: text, finish_reason ('stop', 'length', 'repetition',
    'cancelled', 'timeout'), tokens_out, time_to_first_token_s, duration_s. close() stops the model."""

    def __init__(self, *, spec: ModelSpec, first: str, rest: Iterator[str], max_new_tokens: int,
                 tokens_in: int, counter: TokenCounter | None, started: float,
                 on_finish: Callable[[ChatStream, str], None] | None = None):
        self.spec = spec
        self.model = spec.slug
        self.tokens_in = tokens_in
        self.max_new_tokens = max_new_tokens
        self.finish_reason: str | None = None
        self.time_to_first_token_s = time.perf_counter() - started
        self.duration_s: float | None = None
        self._first, self._rest = first, rest
        self._counter = counter
        self._parts: list[str] = []
        self._pieces = 0
        self._started = started
        self._on_finish = on_finish
        self._finished = False

    @property
    def text(self) -> str:
        return "".join(self._parts)

    @property
    def tokens_out(self) -> int:
        return self._counter(self.text) if self._counter else self._pieces

    def __iter__(self) -> Iterator[str]:
        guard = RepetitionGuard()
        rest = self._rest
        piece = self._first
        try:
            while True:
                if piece:
                    self._parts.append(piece)
                    self._pieces += 1
                    yield piece
                    if guard.feed(piece):
                        self.finish_reason = "repetition"
                        return
                    # A server may ignore max_tokens; the tier's bound holds regardless.
                    if self._pieces >= self.max_new_tokens:
                        self.finish_reason = "length"
                        return
                try:
                    piece = next(rest)
                except StopIteration as stop:
                    reported = stop.value
                    self.finish_reason = reported or ("length" if self.tokens_out >= self.max_new_tokens else "stop")
                    return
                except InferenceError as exc:
                    self._finish(StreamInterrupted.code)
                    raise StreamInterrupted(f"the stream broke after {self._pieces} piece(s): {exc.detail}",
                                            model=self.model) from exc
        finally:
            rest.close()
            self._finish("ok")

    def close(self, reason: str = "cancelled") -> None:
        """Stop generating: the HTTP response is closed, or the local generate thread stops."""
        if self.finish_reason is None:
            self.finish_reason = reason
        self._rest.close()
        self._finish("ok")

    def _finish(self, outcome: str) -> None:
        if self._finished:
            return
        self._finished = True
        self.duration_s = time.perf_counter() - self._started
        if self._on_finish is not None:
            self._on_finish(self, outcome)
