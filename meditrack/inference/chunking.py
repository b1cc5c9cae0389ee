"""Splitting text into pieces a model reads whole. Imports nothing from Django."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from meditrack.inference.types import Label

_WHITESPACE = re.compile(r"\s+")
_SENTENCE_END_MARKS = ".!?…"


def chunk_text(text: str, count_tokens: Callable[[str], int], max_tokens: int, target_tokens: int | None = None,
               ) -> list[str]:
    """Split text into chunks the model reads whole: its sentences, packed together while a chunk stays within
    target_tokens (default max_tokens). A sentence longer than that stays whole on its own, unless it is longer
    than max_tokens: then it is cut between words (a run of characters without spaces, inside it) and its parts
    are packed the same way. Every character but whitespace ends up in one chunk, in order. Blank text gives
    no chunk."""
    target = max_tokens if target_tokens is None else min(target_tokens, max_tokens)
    text = text.strip()
    if not text:
        return []
    if count_tokens(text) <= target:
        return [text]
    chunks: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for piece, tokens in _pieces(text, count_tokens, max_tokens):
        if current and current_tokens + tokens > target:
            chunks.append(" ".join(current))
            current, current_tokens = [], 0
        current.append(piece)
        current_tokens += tokens
    if current:
        chunks.append(" ".join(current))
    return chunks


def _pieces(text: str, count_tokens: Callable[[str], int], max_tokens: int):
    """(piece, tokens) for each sentence of text, or its words where it is too long. WordPiece counts each
    whitespace-separated word alone, so the counts of pieces joined by spaces add up."""
    for sentence in filter(None, _sentences(text)):
        tokens = count_tokens(sentence)
        if tokens <= max_tokens:
            yield sentence, tokens
        else:
            for word in sentence.split():
                yield from _halves(word, count_tokens, max_tokens)


def _sentences(text: str):
    """text cut where a reader would pause: whitespace after a sentence's end, or holding a line break.
    Each run of whitespace is looked at once (a pattern like \\s*\\n\\s* rescans long runs: quadratic)."""
    start = 0
    for gap in _WHITESPACE.finditer(text):
        if "\n" in gap.group() or (gap.start() and text[gap.start() - 1] in _SENTENCE_END_MARKS):
            yield text[start:gap.start()]
            start = gap.end()
    yield text[start:]


def _halves(word: str, count_tokens: Callable[[str], int], max_tokens: int):
    """A run of characters too long for the model, halved until each part fits (one character always does)."""
    tokens = count_tokens(word)
    if tokens <= max_tokens or len(word) == 1:
        yield word, tokens
    else:
        yield from _halves(word[:len(word) // 2], count_tokens, max_tokens)
        yield from _halves(word[len(word) // 2:], count_tokens, max_tokens)


def split_for_window(texts: list[str], *, count_tokens: Callable[[str], int], max_tokens: int
                     ) -> tuple[list[str], list[int], list[int]]:
    """Every chunk of every text, the index of the text each belongs to, and each chunk's token count.
    A blank text gets one empty chunk, so every text has a result."""
    chunks, owners, weights = [], [], []
    for index, text in enumerate(texts):
        for chunk in chunk_text(text, count_tokens, max_tokens) or [""]:
            chunks.append(chunk)
            owners.append(index)
            weights.append(max(1, count_tokens(chunk)) if chunk else 1)
    return chunks, owners, weights


def mean_labels(results: list[list[Label]], *, owners: list[int], weights: list[int], count: int
                ) -> list[list[Label]]:
    """Each text's label scores: its chunks' scores averaged, weighted by length; best first."""
    totals: list[dict[str, float]] = [{} for _ in range(count)]
    mass = [0.0] * count
    for labels, owner, weight in zip(results, owners, weights, strict=True):
        mass[owner] += weight
        for label in labels:
            totals[owner][label.label] = totals[owner].get(label.label, 0.0) + label.score * weight
    return [sorted((Label(label, score / mass[i]) for label, score in totals[i].items()),
                   key=lambda item: item.score, reverse=True)
            for i in range(count)]


def mean_vectors(vectors: list[list[float]], *, owners: list[int], weights: list[int], count: int
                 ) -> list[list[float]]:
    """Each text's embedding: its chunks' vectors averaged, weighted by length, and scaled to unit length."""
    if not count:
        return []
    chunk_vectors = np.asarray(vectors, dtype=np.float64)
    sums = np.zeros((count, chunk_vectors.shape[1]))
    np.add.at(sums, owners, chunk_vectors * np.asarray(weights, dtype=np.float64)[:, None])
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return (sums / np.where(norms == 0, 1.0, norms)).tolist()
