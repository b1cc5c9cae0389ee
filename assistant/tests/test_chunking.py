"""The chunker: token windows of whole sentences with overlap, under their headings (no database)."""

import pytest

from assistant.chunking import chunk_text, count_tokens

SENTENCES = " ".join(f"Sentence {i} is about blood pressure." for i in range(40))


def test_blank_text_has_no_chunk():
    assert chunk_text("") == [] == chunk_text(" \n\n ")


def test_short_text_is_one_chunk_with_its_offsets():
    text = "  Slept well. Walked to the shop.  "
    [chunk] = chunk_text(text)
    assert chunk.text == "Slept well. Walked to the shop."
    assert text[chunk.start:chunk.end] == chunk.text


def test_windows_stay_within_the_budget_and_overlap():
    chunks = chunk_text(SENTENCES, max_tokens=40, overlap_tokens=10)
    assert len(chunks) > 3
    assert all(count_tokens(c.text) <= 40 for c in chunks)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.start < after.start < before.end  # the next begins inside the one before
        assert after.text.split(". ")[0] in before.text
    assert chunks[-1].text.endswith("Sentence 39 is about blood pressure.")


def test_every_sentence_is_in_a_chunk():
    chunks = chunk_text(SENTENCES, max_tokens=40, overlap_tokens=10)
    for i in range(40):
        assert any(f"Sentence {i} is" in c.text for c in chunks)


def test_headings_are_kept_as_a_trail():
    text = "Intro.\n# Diabetes\n## Diet\nEat regular meals.\n## Exercise\nWalk daily.\n# Asthma\nUse the inhaler."
    assert [c.text for c in chunk_text(text)] == [
        "Intro.", "Diabetes › Diet\nEat regular meals.", "Diabetes › Exercise\nWalk daily.",
        "Asthma\nUse the inhaler."]
    assert all(text[c.start:c.end] == c.text.split("\n")[-1] for c in chunk_text(text))


def test_a_heading_trail_counts_against_the_budget():
    text = "# " + "Very long heading " * 3 + "\n" + SENTENCES
    assert all(count_tokens(c.text) <= 30 for c in chunk_text(text, max_tokens=30, overlap_tokens=5))


def test_a_sentence_longer_than_a_chunk_is_cut_between_words():
    words = " ".join(f"word{i}" for i in range(200))
    chunks = chunk_text(words, max_tokens=50, overlap_tokens=10)
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert all(f"word{i}" in " ".join(c.text for c in chunks).split() for i in range(200))


def test_a_run_without_spaces_is_cut_too():
    chunks = chunk_text("x" * 5000, max_tokens=50, overlap_tokens=10)
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == 5000


def test_a_decimal_point_does_not_end_a_sentence():
    [chunk] = chunk_text("Take 2.5 mg daily. Then stop.", max_tokens=100)
    assert chunk.text == "Take 2.5 mg daily. Then stop."


def test_the_overlap_must_be_shorter_than_a_chunk():
    with pytest.raises(ValueError):
        chunk_text("text", max_tokens=10, overlap_tokens=10)
