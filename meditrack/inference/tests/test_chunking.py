"""Splitting text into sentences costs time in proportion to the text, whatever its whitespace."""

import time

import pytest

from meditrack.inference.chunking import chunk_text


def count_words(text):
    return len(text.split())


@pytest.mark.parametrize("gap", [" " * 100_000, " \t" * 50_000, " " * 99_999 + "\n"])
def test_long_runs_of_whitespace_split_in_linear_time(gap):
    started = time.perf_counter()
    chunks = chunk_text("before" + gap + "after", count_words, 1)
    assert time.perf_counter() - started < 0.5
    assert chunks == ["before", "after"]


def test_sentences_end_at_their_punctuation_or_a_line_break_only():
    assert chunk_text("One two. Three\n\n four five six! Seven  eight", count_words, 3) == [
        "One two. Three", "four five six!", "Seven  eight"]
