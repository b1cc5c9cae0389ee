"""Pronunciation scoring: how a spoken attempt at a target sentence went, word by word. Imports nothing from
Django.

The recogniser's words are aligned to the target's (jiwer's word alignment), then each target word is
- correct: heard as written, or as a word that sounds the same ("to" for "two");
- mispronounced: heard as a near-miss, a word whose phonemes are close ("tablet" for "tablets");
- missing: not said, or a different word said in its place (`heard` is then that word: "week" for "day").
Words heard where the target has none are extra. `confidence` is the recogniser's probability for the word it
heard (None when it heard nothing there). The score (0-100) gives a correct word its full weight less a little
for the recogniser's doubt, a near-miss part of it by how close it came, a missing word none, and takes half a
word off for each extra one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import jiwer

from speech.phonemes import similarity

# Phonemes this alike or more: a near-miss rather than another word ("tablet"/"tablets" is 0.86, "pain"/"fade"
# 0.33).
NEAR_MISS = 0.5
SOUNDS_SAME = 0.999
EXTRA_PENALTY = 0.5
DOUBT_WEIGHT = 0.25  # how much of a correct word's credit the recogniser's doubt can take

# Spelled out, on both sides: the recogniser writes "I've" for "I have" as readily as the reverse.
_SPELLED_OUT = {"mg": "milligrams", "ml": "milliliters", "dr": "doctor", "mr": "mister", "mrs": "missus",
                "cannot": "can not", "can't": "can not", "won't": "will not", "shan't": "shall not", "i'm": "i am",
                "let's": "let us"}
_CONTRACTIONS = (("n't", " not"), ("'ve", " have"), ("'re", " are"), ("'ll", " will"), ("'d", " would"))
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
             "nine": "ninth", "twelve": "twelfth"}
_TOKEN = re.compile(r"\d+(?:st|nd|rd|th)?|[a-z]+(?:'[a-z]+)*")


@dataclass(frozen=True)
class _Heard:
    word: str
    probability: float | None


def _number_words(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [_ONES[n // 100], "hundred"] + (_number_words(n % 100) if n % 100 else [])
    if n < 1_000_000:
        return _number_words(n // 1000) + ["thousand"] + (_number_words(n % 1000) if n % 1000 else [])
    return list(str(n))


def _ordinal(words: list[str]) -> list[str]:
    last = words[-1]
    spoken = _ORDINALS.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return words[:-1] + [spoken]


def normalise(text: str) -> list[str]:
    """The words as they are spoken: lowercase, no punctuation, digits, contractions and a few abbreviations
    spelled out."""
    words = []
    for token in _TOKEN.findall(text.lower().replace("-", " ")):
        if token[0].isdigit():
            digits = token.rstrip("stndrh")
            spoken = _number_words(int(digits))
            words += _ordinal(spoken) if digits != token else spoken
        else:
            words += _spelled_out(token).split()
    return words


def _spelled_out(token: str) -> str:
    if token in _SPELLED_OUT:
        return _SPELLED_OUT[token]
    for short, long in _CONTRACTIONS:
        if token.endswith(short):
            return token[:-len(short)] + long
    return token


def _heard_words(words: list) -> list[_Heard]:
    heard = []
    for item in words:
        word = item["word"] if isinstance(item, dict) else item.word
        probability = item.get("probability") if isinstance(item, dict) else item.probability
        heard += [_Heard(w, probability) for w in normalise(word)]
    return heard


def _entry(word: str | None, status: str, heard: _Heard | None, *, credit: float) -> dict:
    return {"word": word if word is not None else heard.word, "status": status, "expected": word,
            "heard": heard.word if heard else None,
            "confidence": round(heard.probability, 4) if heard and heard.probability is not None else None,
            "_credit": credit}


def _judge(expected: str, heard: _Heard) -> dict:
    """A target word against the word heard in its place."""
    doubt = DOUBT_WEIGHT * (1.0 - (heard.probability if heard.probability is not None else 1.0))
    alike = similarity(expected, heard.word)
    if alike >= SOUNDS_SAME:
        return _entry(expected, "correct", heard, credit=1.0 - doubt)
    if alike >= NEAR_MISS:
        return _entry(expected, "mispronounced", heard, credit=0.5 * alike)
    return _entry(expected, "missing", heard, credit=0.0)


def _joined(entries: list[dict]) -> list[dict]:
    """A word heard in two pieces ("pain killers" for "painkillers") is correct, and so are two words heard as
    one ("painkiller" for "pain killer")."""
    out: list[dict] = []
    for entry in entries:
        previous = out[-1] if out else None
        if previous is None or "correct" in (previous["status"], entry["status"]):
            out.append(entry)
            continue
        first, second = previous, entry
        if {first["status"], second["status"]} & {"extra"} and first["heard"] and second["heard"]:
            word = first if first["status"] != "extra" else second
            if first["heard"] + second["heard"] == word["expected"]:
                word.update(status="correct", heard=f"{first['heard']} {second['heard']}", _credit=1.0)
                out[-1] = word
                continue
        said = first["heard"] or second["heard"]
        if (said and None in (first["heard"], second["heard"]) and "extra" not in (first["status"], second["status"])
                and first["expected"] + second["expected"] == said):
            for word in (first, second):
                word.update(status="correct", heard=said, _credit=1.0)
        out.append(entry)
    return out


def score(target: str, words: list, *, transcript: str | None = None) -> dict:
    """{score 0-100, transcript, words: [{word, status, expected, heard, confidence}]} for an attempt at `target`;
    `words` are the recogniser's timed words (WordTiming-like or dicts with `word` and `probability`)."""
    expected = normalise(target)
    heard = _heard_words(words)
    if transcript is None:
        transcript = " ".join((w["word"] if isinstance(w, dict) else w.word) for w in words)
    if not expected:
        raise ValueError("the target sentence has no words")
    entries = []
    if heard:
        alignment = jiwer.process_words(" ".join(expected), " ".join(w.word for w in heard)).alignments[0]
    else:
        alignment = [jiwer.AlignmentChunk(type="delete", ref_start_idx=0, ref_end_idx=len(expected),
                                          hyp_start_idx=0, hyp_end_idx=0)]
    for chunk in alignment:
        targets = expected[chunk.ref_start_idx:chunk.ref_end_idx]
        said = heard[chunk.hyp_start_idx:chunk.hyp_end_idx]
        if chunk.type in ("equal", "substitute"):
            entries += [_judge(word, h) for word, h in zip(targets, said, strict=True)]
        elif chunk.type == "delete":
            entries += [_entry(word, "missing", None, credit=0.0) for word in targets]
        else:
            entries += [_entry(None, "extra", h, credit=0.0) for h in said]
    entries = _joined(entries)
    extra = sum(1 for e in entries if e["status"] == "extra")
    earned = sum(e.pop("_credit") for e in entries)
    result = earned / (len(expected) + EXTRA_PENALTY * extra)
    return {"score": round(100 * min(1.0, result)), "transcript": transcript.strip(), "words": entries}
