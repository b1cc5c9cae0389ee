"""What the loopback model server knows: the tasks it answers, the models it serves and what it was asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .faults import Fault

DEFAULT_REPLY = "Hello! This is the loopback model."
DEFAULT_LABELS = ("POSITIVE", "NEGATIVE")
DEFAULT_EMBEDDING_DIM = 8
TGI_MODEL_ID = "meditrack/loopback-llm"
TTS_SAMPLE_RATE = 16000

# Tasks this server can answer on POST /models/<id>.
TEXT_GENERATION = "text-generation"
TEXT_CLASSIFICATION = "text-classification"
FEATURE_EXTRACTION = "feature-extraction"
ASR = "automatic-speech-recognition"
TTS = "text-to-speech"
TASKS = frozenset({TEXT_GENERATION, TEXT_CLASSIFICATION, FEATURE_EXTRACTION, ASR, TTS})

DEFAULT_MODELS = {
    TGI_MODEL_ID: TEXT_GENERATION,
    "meditrack/loopback-classifier": TEXT_CLASSIFICATION,
    "meditrack/loopback-embedder": FEATURE_EXTRACTION,
    "meditrack/loopback-asr": ASR,
    "meditrack/loopback-tts": TTS,
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    body: bytes
    json: Any  # None when the body is not JSON
    model: str | None  # from the path, else the body's "model", else None
    route: str = ""  # e.g. "chat", "models/chat", "generate_stream", "compat" (POST /), "models/task"
    stream: bool = False
    status: int | None = None
    fault: Fault | None = None
    # Both are updated just before the write they describe, so a client that has read something can
    # assert on them at once, without racing the server thread.
    tokens_sent: int = 0
    finished: bool = False  # the whole answer was written
    disconnected: bool = False  # a write failed: the client went away first

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


Reply = str | list[str] | Callable[[RecordedRequest], str | list[str]]


@dataclass
class ModelEntry:
    task: str
    labels: tuple[str, ...] = DEFAULT_LABELS
    dim: int | None = None
    reply: Reply | None = None  # None: the server's
