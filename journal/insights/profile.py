"""The reflective profile: the schema a chat model writes it in, the check of its citations, and the deterministic
profile built from the comprehensive facts when no model writes one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from journal.insights.entries import NEUTRAL_BAND, EntryFacts
from journal.insights.phrases import COPING, SLEEP, STRESS, normalise

MAX_CITATIONS = 8
MAX_STATEMENTS = 6
# What the fallback profile calls a pattern: mentions in at least this many entries (two for a coping activity), or a
# feeling that leads at least this share of the entries.
MIN_PATTERN_ENTRIES = 3
MIN_COPING_ENTRIES = 2
MIN_EMOTION_SHARE = 0.1
MAX_STATEMENT_CHARS = 300
DISCLAIMER = "A reflection of what you wrote, not a diagnosis."
NEGATIVE_EMOTIONS = frozenset({"sadness", "fear", "anger", "disgust"})
POSITIVE_EMOTIONS = frozenset({"joy", "love", "gratitude", "hope", "calm"})


class ProfileStatement(BaseModel):
    """One observation about the journal and the entries it rests on."""
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    statement: str = Field(min_length=1, max_length=MAX_STATEMENT_CHARS)
    entry_ids: list[int] = Field(min_length=1)


class ProfileSchema(BaseModel):
    """The reflective profile a chat model is asked to write: three lists of cited statements."""
    model_config = ConfigDict(extra="ignore")

    recurring_concerns: list[ProfileStatement] = Field(default_factory=list)
    coping_strategies: list[ProfileStatement] = Field(default_factory=list)
    sources_of_energy: list[ProfileStatement] = Field(default_factory=list)


_SECTIONS = ("recurring_concerns", "coping_strategies", "sources_of_energy")


def profile_citations_valid(profile: ProfileSchema, known_ids: set[int]) -> ProfileSchema:
    """The profile without the statements that cite an entry outside known_ids (a model that invents one citation
    may have invented the statement too), each remaining statement's ids deduplicated. Raises ValueError when no
    statement remains."""
    kept = {}
    for section in _SECTIONS:
        kept[section] = [
            ProfileStatement(statement=item.statement, entry_ids=list(dict.fromkeys(item.entry_ids)))
            for item in getattr(profile, section) if set(item.entry_ids) <= known_ids
        ]
    if not any(kept.values()):
        raise ValueError("no statement of the profile cites only known entries")
    return ProfileSchema(**kept)


def fallback_profile(entries: Sequence[EntryFacts], facts: dict) -> dict:
    """A deterministic reflective profile built from comprehensive()'s facts and the entries, in the shape of the
    model-written one (ProfileSchema's three lists, plus kind, disclaimer and generated_by="facts"). Every statement
    cites the entries it rests on (at most MAX_CITATIONS, the most representative or most recent), and only entries
    among `entries`; at most MAX_STATEMENTS per section, concerns and energy from themes first."""
    ordered = sorted(entries, key=lambda e: (e.written_at, e.id))
    known = {e.id for e in ordered}
    concerns: list[tuple[str, list[int]]] = []
    coping: list[tuple[str, list[int]]] = []
    energy: list[tuple[str, list[int]]] = []

    for theme in (facts.get("themes") or {}).get("items", []):
        if theme["mean_score"] is None or not theme["keywords"]:
            continue
        about = _words_list(theme["keywords"][:3])
        if theme["label"] == "negative":
            concerns.append((f"You often wrote about {about}; those {theme['entries']} entries were mostly negative "
                             f"(mean sentiment {theme['mean_score']:+.2f}).", theme["representative_ids"]))
        elif theme["label"] == "positive":
            energy.append((f"You often wrote about {about}; those {theme['entries']} entries were mostly positive "
                           f"(mean sentiment {theme['mean_score']:+.2f}).", theme["representative_ids"]))

    first_emotion: dict[str, list[int]] = {}
    for entry in ordered:
        if entry.emotions:
            first_emotion.setdefault(entry.emotions[0][0], []).append(entry.id)
    # Only the two most frequent feelings of each kind, and only where they lead often enough to be a pattern.
    enough = max(MIN_PATTERN_ENTRIES, MIN_EMOTION_SHARE * sum(map(len, first_emotion.values())))
    ranked = sorted(first_emotion.items(), key=lambda item: (-len(item[1]), item[0]))
    for kind, target in ((NEGATIVE_EMOTIONS, concerns), (POSITIVE_EMOTIONS, energy)):
        for label, ids in [(label, ids) for label, ids in ranked if label in kind and len(ids) >= enough][:2]:
            target.append((f"{label.capitalize()} was the strongest feeling in {len(ids)} of your entries.",
                           ids[::-1]))

    for name, pattern in (("Trouble sleeping", SLEEP), ("Stress or feeling overwhelmed", STRESS)):
        ids = [e.id for e in ordered if pattern.search(normalise(e.text))]
        if len(ids) >= MIN_PATTERN_ENTRIES:
            concerns.append((f"{name} came up in {len(ids)} entries.", ids[::-1]))

    weeks = facts.get("weeks") or {}
    worst, best = weeks.get("worst"), weeks.get("best")
    if worst and worst["mean_score"] < -NEUTRAL_BAND:
        concerns.append((f"The week of {worst['start']} was your hardest (mean sentiment {worst['mean_score']:+.2f}).",
                         worst["entry_ids"]))
    if best and best["mean_score"] > NEUTRAL_BAND:
        energy.append((f"The week of {best['start']} was your best (mean sentiment {best['mean_score']:+.2f}).",
                       best["entry_ids"]))

    scores = {e.id: e.score for e in ordered if e.score is not None}
    found = []
    for name, pattern in COPING:
        ids = [e.id for e in ordered if pattern.search(normalise(e.text))]
        if len(ids) >= MIN_COPING_ENTRIES:
            found.append((name, ids))
    found.sort(key=lambda item: -len(item[1]))
    for name, ids in found[:MAX_STATEMENTS]:
        sentence = f"{name} came up in {len(ids)} entries"
        cited = set(ids)
        with_it = [scores[i] for i in ids if i in scores]
        without = [s for i, s in scores.items() if i not in cited]
        if with_it and without:
            mean_with, mean_without = float(np.mean(with_it)), float(np.mean(without))
            difference = mean_with - mean_without
            compared = ("more positive than" if difference > NEUTRAL_BAND / 2 else
                        "less positive than" if difference < -NEUTRAL_BAND / 2 else "about as positive as")
            sentence += (f"; those entries were on average {compared} the others "
                         f"({mean_with:+.2f} vs {mean_without:+.2f})")
        coping.append((sentence + ".", ids[::-1]))

    def section(items: list[tuple[str, list[int]]]) -> list[dict]:
        result = []
        for statement, ids in items:
            cited = [int(i) for i in dict.fromkeys(ids) if i in known][:MAX_CITATIONS]
            if cited:
                result.append({"statement": statement[:MAX_STATEMENT_CHARS], "entry_ids": cited})
        return result[:MAX_STATEMENTS]

    return {"kind": "reflective_profile", "disclaimer": DISCLAIMER, "recurring_concerns": section(concerns),
            "coping_strategies": section(coping), "sources_of_energy": section(energy), "generated_by": "facts"}


def _words_list(words: list[str]) -> str:
    quoted = [f'"{w}"' for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
