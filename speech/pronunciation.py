"""Pronunciation scoring: how a spoken attempt at a target sentence went, word by word. Imports nothing from
Django."""

from __future__ import annotations


def score(target: str, words: list, *, transcript: str | None = None) -> dict:
    """{score 0-100, transcript, words: [{word, status, expected, heard, confidence}]}; `words` are the
    recogniser's timed words (WordTiming or dicts with word and probability)."""
    raise NotImplementedError
