"""The vocabulary every backend and caller shares. Imports nothing from Django."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Task(StrEnum):
    CHAT = "chat"
    EMBEDDING = "embedding"
    SENTIMENT = "sentiment"
    EMOTION = "emotion"
    ASR = "asr"
    TTS = "tts"


class BackendName(StrEnum):
    HF_INFERENCE = "hf_inference"
    HF_ENDPOINT = "hf_endpoint"
    OPENAI_COMPATIBLE = "openai_compatible"
    LOCAL = "local"
    BUILTIN = "builtin"


@dataclass(frozen=True)
class ModelSpec:
    """A registry entry as a backend sees it, with its token already read from the environment."""

    slug: str
    task: Task
    backend: BackendName
    model_id: str  # hub id, served model name, local package/path, or builtin engine name
    base_url: str = ""
    token: str | None = field(default=None, repr=False)
    params: dict = field(default_factory=dict)  # generation parameters and backend options
    timeout_s: float = 60.0
    context_window: int = 2048
    queue: str = "io"  # the Celery queue whose workers run calls to this model


@dataclass(frozen=True)
class ChatMessage:
    role: str  # "system", "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Label:
    label: str
    score: float


@dataclass(frozen=True)
class WordTiming:
    word: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None = None
    words: list[WordTiming] = field(default_factory=list)


@dataclass(frozen=True)
class Speech:
    audio: bytes
    media_type: str = "audio/wav"
    sample_rate: int = 22050


TokenCounter = Callable[[str], int]
