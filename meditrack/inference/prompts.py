"""Fitting a conversation into a model's context window. Imports nothing from Django."""

from __future__ import annotations

from meditrack.inference.errors import BadInput
from meditrack.inference.types import ChatMessage, TokenCounter

# Role markers and separators a chat template adds around each message.
PER_MESSAGE_OVERHEAD = 4


def approx_tokens(text: str) -> int:
    """About four characters a token for English; used only where no tokenizer is at hand."""
    return max(1, (len(text) + 3) // 4)


def fit_history(messages: list[ChatMessage], *, context_window: int, max_new_tokens: int,
                count: TokenCounter | None = None) -> list[ChatMessage]:
    """Drop the oldest turns until the prompt leaves room for the reply. System messages always stay;
    the newest message must fit or the request is refused."""
    count = count or approx_tokens
    budget = context_window - max_new_tokens
    system = [m for m in messages if m.role == "system"]
    turns = [m for m in messages if m.role != "system"]
    used = sum(count(m.content) + PER_MESSAGE_OVERHEAD for m in system)
    kept: list[ChatMessage] = []
    for message in reversed(turns):
        cost = count(message.content) + PER_MESSAGE_OVERHEAD
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    if turns and not kept:
        raise BadInput("The message is too long for this model's context window.")
    kept.reverse()
    # Templates expect the conversation to open with the user, never mid-way with an answer.
    while kept and kept[0].role == "assistant":
        kept.pop(0)
    return system + kept


def render_plain(messages: list[ChatMessage]) -> str:
    """The prompt for a model without a chat template: System:, then User:/Assistant: turns, ending
    where the assistant speaks."""
    parts = [f"System: {m.content}\n\n" if m.role == "system" else f"{m.role.capitalize()}: {m.content}\n"
             for m in messages]
    return "".join(parts) + "Assistant:"
