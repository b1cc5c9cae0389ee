"""One interface per task, whatever runs the model. Imports nothing from Django."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from meditrack.inference.types import BackendName, ChatMessage, Label, ModelSpec, Speech, TokenCounter, Transcript


class Backend(Protocol):
    def chat(self, spec: ModelSpec, messages: list[ChatMessage], *, max_new_tokens: int) -> Iterator[str]:
        """Yield the reply's text piece by piece. Closing the generator must stop the generation
        (close the HTTP response, or stop the local generate thread)."""

    def token_counter(self, spec: ModelSpec) -> TokenCounter | None:
        """Count tokens with the model's own tokenizer, or None when there is none at hand."""

    def classify(self, spec: ModelSpec, texts: list[str]) -> list[list[Label]]:
        """All labels with scores for each text, in one batched call."""

    def embed(self, spec: ModelSpec, texts: list[str]) -> list[list[float]]: ...

    def transcribe(self, spec: ModelSpec, audio: bytes) -> Transcript: ...

    def synthesize(self, spec: ModelSpec, text: str) -> Speech: ...


LOCAL_BACKENDS = frozenset({BackendName.LOCAL, BackendName.BUILTIN})
_local_models_allowed = True


def forbid_local_models() -> None:
    """For io workers: a hundred threads waiting on the network must not each hold a model in memory."""
    global _local_models_allowed
    _local_models_allowed = False


def runs_here(spec: ModelSpec) -> bool:
    return _local_models_allowed or spec.backend not in LOCAL_BACKENDS


def get_backend(name: BackendName) -> Backend:
    # Imported on demand: a web process never pays for torch, a GPU worker never for nothing.
    if name in (BackendName.HF_INFERENCE, BackendName.HF_ENDPOINT, BackendName.OPENAI_COMPATIBLE):
        from meditrack.inference.backends.remote import RemoteBackend

        return RemoteBackend()
    if name == BackendName.LOCAL:
        from meditrack.inference.backends.local import LocalBackend

        return LocalBackend()
    if name == BackendName.BUILTIN:
        from meditrack.inference.backends.builtin import BuiltinBackend

        return BuiltinBackend()
    raise ValueError(f"unknown backend {name!r}")
