"""The journal as the insights read it: EntryFacts, one entry and its analysis as plain data (the caller builds them
from the database), and EntryTable, the entries in order as numpy columns.

Days are calendar days in the user's time zone, kept as proleptic Gregorian ordinals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

import numpy as np

# The offline analyser labels |score| <= 0.09 neutral (meditrack/inference/analyser.py); means are judged alike.
NEUTRAL_BAND = 0.09


@dataclass(frozen=True, slots=True, eq=False)
class EntryFacts:
    """One journal entry and its analysis, as plain data. eq=False: comparing the embedding arrays field by field
    would raise, and an entry is identified by its id anyway."""
    id: int
    written_at: datetime  # timezone-aware
    text: str
    mood: int | None  # self-rated 1..10
    score: float | None  # sentiment positive-minus-negative, -1..1; None when not analysed yet
    label: str | None  # "negative" | "neutral" | "positive"
    emotions: list[tuple[str, float]]  # top emotions, best first
    embedding: np.ndarray | None  # unit-length sentence embedding, or None


@dataclass(frozen=True, slots=True)
class EntryTable:
    """The entries in chronological order, with one numpy column per number a computation needs."""
    entries: list[EntryFacts]
    ids: np.ndarray  # int64
    day: np.ndarray  # int64, proleptic Gregorian ordinal of the local date
    hour: np.ndarray  # int64, local hour
    score: np.ndarray  # float64, nan where not analysed
    mood: np.ndarray  # float64, nan where not rated


def entry_table(entries: Sequence[EntryFacts], tz: tzinfo) -> EntryTable:
    for entry in entries:
        if entry.written_at.tzinfo is None:
            raise ValueError(f"entry {entry.id}: written_at must be timezone-aware")
    ordered = sorted(entries, key=lambda e: (e.written_at, e.id))
    local = [e.written_at.astimezone(tz) for e in ordered]
    n = len(ordered)
    return EntryTable(
        entries=ordered,
        ids=np.fromiter((e.id for e in ordered), np.int64, n),
        day=np.fromiter((t.toordinal() for t in local), np.int64, n),
        hour=np.fromiter((t.hour for t in local), np.int64, n),
        score=np.fromiter((np.nan if e.score is None else e.score for e in ordered), np.float64, n),
        mood=np.fromiter((np.nan if e.mood is None else e.mood for e in ordered), np.float64, n),
    )


def iso_date(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def sentiment_label(score: float | None) -> str | None:
    if score is None:
        return None
    return "negative" if score < -NEUTRAL_BAND else "positive" if score > NEUTRAL_BAND else "neutral"


def id_list(values: np.ndarray) -> list[int]:
    return [int(i) for i in values]
