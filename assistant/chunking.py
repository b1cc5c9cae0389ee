"""Splitting a source's text into passages for retrieval. Pure Python: imports nothing from Django.

A passage is a window of whole sentences within one section, at most `max_tokens` long including its
heading trail, and it begins with the last `overlap_tokens` or so of the previous passage, so that a fact
stated across a boundary is whole in one of them. Each passage carries the headings it sits under
("Blood pressure › Measuring at home"), so a passage found by its words still says what it is about, and the
offsets of its text in the source, so it can be opened in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MAX_TOKENS = 160
OVERLAP_TOKENS = 32
HEADING_SEPARATOR = " › "

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# A sentence ends at . ! ? … followed by space, or at a blank line; a single line break inside a paragraph
# (a PDF's wrapped lines) does not end one.
_SENTENCE = re.compile(r".+?(?:[.!?…]+(?=\s)|(?=\n[ \t]*\n)|$)", re.DOTALL)
# A long run of letters counts as one token in eight characters, as WordPiece would cut it into several.
_TOKEN = re.compile(r"\w{1,8}|[^\w\s]")


def count_tokens(text: str) -> int:
    """Words (long ones in pieces) and punctuation marks: near a WordPiece count for English, with no tokenizer."""
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class TextChunk:
    text: str  # the heading trail, then the passage: what is embedded, searched and shown
    start: int  # the passage's offsets in the source text
    end: int


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    tokens: int


def chunk_text(text: str, *, max_tokens: int = MAX_TOKENS, overlap_tokens: int = OVERLAP_TOKENS,
               count: Callable[[str], int] = count_tokens) -> list[TextChunk]:
    """Passages of `text` in order. Markdown ATX headings (`#`…`######`) open sections; text before the first
    heading is a section without one. Blank text gives none."""
    if overlap_tokens >= max_tokens:
        raise ValueError("the overlap must be shorter than a passage")
    chunks: list[TextChunk] = []
    for trail, start, end in _sections(text):
        heading = HEADING_SEPARATOR.join(trail)
        # A heading trail longer than half a passage is cut to its last heading: the body must have room.
        if heading and count(heading) > max_tokens // 2:
            heading = trail[-1][: max_tokens * 2]
        budget = max(max_tokens - (count(heading) if heading else 0), overlap_tokens + 1)
        spans = list(_spans(text, start, end, budget, count))
        for first, last in _windows(spans, budget, overlap_tokens):
            passage = text[spans[first].start:spans[last].end]
            chunks.append(TextChunk(text=f"{heading}\n{passage}" if heading else passage,
                                    start=spans[first].start, end=spans[last].end))
    return chunks


def _sections(text: str) -> Iterator[tuple[list[str], int, int]]:
    """(heading trail, body start, body end) for each section with a body."""
    trail: list[tuple[int, str]] = []
    body_start = 0
    for match in _HEADING.finditer(text):
        yield [title for _, title in trail], body_start, match.start()
        level, title = len(match.group(1)), match.group(2).strip()
        trail = [(lvl, t) for lvl, t in trail if lvl < level] + [(level, title)]
        body_start = match.end()
    yield [title for _, title in trail], body_start, len(text)


def _spans(text: str, start: int, end: int, budget: int, count: Callable[[str], int]) -> Iterator[_Span]:
    """The sentences of text[start:end], trimmed of whitespace; a sentence over the budget comes in pieces of
    whole words that fit it (a run of characters longer than the budget is cut)."""
    for match in _SENTENCE.finditer(text, start, end):
        s, e = match.start(), match.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s == e:
            continue
        tokens = count(text[s:e])
        if tokens <= budget:
            yield _Span(s, e, tokens)
        else:
            yield from _word_pieces(text, s, e, budget, count)


def _word_pieces(text: str, start: int, end: int, budget: int, count: Callable[[str], int]) -> Iterator[_Span]:
    piece_start = piece_end = None
    for word in re.finditer(r"\S+", text[start:end]):
        s, e = start + word.start(), start + word.end()
        if count(text[s:e]) > budget:
            if piece_start is not None:
                yield _Span(piece_start, piece_end, count(text[piece_start:piece_end]))
                piece_start = None
            step = max(1, budget)
            for cut in range(s, e, step):
                yield _Span(cut, min(cut + step, e), count(text[cut:min(cut + step, e)]))
            continue
        if piece_start is None:
            piece_start, piece_end = s, e
        elif count(text[piece_start:e]) <= budget:
            piece_end = e
        else:
            yield _Span(piece_start, piece_end, count(text[piece_start:piece_end]))
            piece_start, piece_end = s, e
    if piece_start is not None:
        yield _Span(piece_start, piece_end, count(text[piece_start:piece_end]))


def _windows(spans: list[_Span], budget: int, overlap: int) -> Iterator[tuple[int, int]]:
    """(first, last) span indexes of each passage: spans packed up to the budget, each window after the first
    starting with trailing spans of the one before that add up to no more than the overlap."""
    first = 0
    while first < len(spans):
        last, tokens = first, spans[first].tokens
        while last + 1 < len(spans) and tokens + spans[last + 1].tokens <= budget:
            last += 1
            tokens += spans[last].tokens
        yield first, last
        if last + 1 >= len(spans):
            return
        following, carried = last + 1, 0
        while following - 1 > first and carried + spans[following - 1].tokens <= overlap:
            following -= 1
            carried += spans[following].tokens
        # The carried sentences and the next one must fit together, or the window could not advance.
        while following <= last and carried + spans[last + 1].tokens > budget:
            carried -= spans[following].tokens
            following += 1
        first = following
