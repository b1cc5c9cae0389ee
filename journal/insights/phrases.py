"""Phrase matching over journal text: the normalisation every pattern searches in, and the phrase families the
insights count (sleep and stress complaints, coping activities). Crisis language, the one family checked on every
save, lives in journal.insights.crisis."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Typographic apostrophes become ASCII ones, so "don’t" matches "don'?t"; quotes, dashes and the like become spaces,
# so that they separate words (in the keyword tokeniser too, which splits on ASCII only).
_NORMALISE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'",
                            **dict.fromkeys("\u00a0\u201c\u201d\u201e\u00ab\u00bb\u2013\u2014\u2026\u2022", " ")})


def phrase_pattern(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regex for phrases that each start at a word boundary, to search in normalise()d text. The boundary is
    tested once, before the alternatives: most positions are inside a word and fail it at once, which makes the search
    several times faster than a boundary at the head of each alternative (as is matching lower case text without
    IGNORECASE)."""
    patterns = list(patterns)
    if not all(p.startswith(r"\b") for p in patterns):
        raise ValueError("every phrase must start at a word boundary")
    return re.compile(r"\b(?:" + "|".join(f"(?:{p[2:]})" for p in patterns) + ")")


def normalise(text: str) -> str:
    return text.translate(_NORMALISE).lower()


SLEEP = phrase_pattern([
    r"\binsomnia\b", r"\bsleepless\b", r"\bkept\s+waking\b", r"\bnightmares?\b", r"\bsleep[-\s]?deprived\b",
    r"\bno\s+sleep\b", r"\b(?:lay|lying|laid)\s+awake\b", r"\btoss(?:ing|ed)\s+and\s+turn(?:ing|ed)\b",
    r"\b(?:can'?t|cannot|couldn'?t|could\s+not|didn'?t|did\s+not|unable\s+to|hard\s+to|struggl(?:e|ed|ing)\s+to|"
    r"trouble|difficulty)\s+(?:get(?:ting)?\s+(?:to\s+)?|fall(?:ing)?\s+|stay(?:ing)?\s+)?(?:sleep|sleeping|asleep)\b",
    r"\b(?:barely|hardly|haven'?t|have\s+not|hasn'?t|never)\s+slept\b",
    r"\bslept\s+(?:badly|poorly|terribly|awfully|horribly|(?:only|just|maybe)\s+(?:\w+\s+)?hours?|"
    r"(?:one|two|three|four|[1-4])\s+hours?)\b",
    r"\b(?:bad|poor|terrible|awful|horrible|restless|broken|rough|sleepless)\s+(?:night'?s?\s+sleep|sleep|night)\b",
    r"\b(?:up|awake)\s+(?:all|most\s+of\s+the|half\s+the)\s+night\b",
    r"\b(?:woke|wake|waking)\s+up\s+(?:at\s+[1-4](?::\d\d)?\s*(?:am|a\.m\.)?\b|several\s+times|many\s+times|"
    r"repeatedly|every\s+(?:hour|few\s+hours)|in\s+the\s+middle\s+of\s+the\s+night)",
    r"\bsleep\s+(?:is|was|has\s+been)\s+(?:bad|awful|terrible|poor|rubbish|a\s+mess)\b",
])
# "not stressed", "stress-free" and "stress relief" are the opposite of a complaint. The lookahead on the first letter
# spares the four lookbehinds at most word boundaries.
STRESS = phrase_pattern([
    r"\b(?=[sato])(?<!\bnot\s)(?<!\bno\s)(?<!\bless\s)(?<!\bnever\s)"
    r"(?:stress(?:ed|ful|ing)?\b(?![-\s]?(?:free|relief|less|ball)|\s+enough)|overwhelm(?:ed|ing)\b|anxious\b|anxiety\b|tense\b)",
    r"\bpanic(?:ky)?\s+attacks?\b", r"\bpanick(?:ed|ing)\b", r"\bburn(?:ed|t)[-\s]?out\b", r"\bburnout\b",
    r"\bunder\s+(?:a\s+lot\s+of\s+|so\s+much\s+|too\s+much\s+)?pressure\b", r"\bon\s+edge\b",
    r"\b(?:can'?t|cannot|couldn'?t)\s+cope\b", r"\btoo\s+much\s+(?:to\s+handle|on\s+my\s+plate)\b",
    r"\bworried\s+sick\b", r"\bfreaking\s+out\b", r"\bfrazzled\b", r"\bat\s+my\s+wits'?\s+end\b",
])
# Name, as a statement starts it, and phrases. Journaling itself is left out: every entry is one.
COPING: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, phrase_pattern(patterns)) for name, patterns in (
    ("Going for a walk", [r"\b(?:a|long|short|evening|morning|afternoon|little|brisk)\s+walks?\b",
                          r"\bwalk(?:ed|ing)?\s+(?:the\s+dog|in\s+the\s+park|outside|around\s+the|along|by\s+the)\b"]),
    ("Exercise", [r"\bexercis(?:e|ed|ing)\b", r"\bwork(?:ed)?\s+out\b", r"\bworkout\b", r"\bgym\b", r"\byoga\b",
                  r"\bpilates\b", r"\bswim(?:ming)?\b", r"\bswam\b", r"\bjog(?:ged|ging)?\b",
                  r"\bwent\s+(?:for\s+a\s+run|running|cycling)\b", r"\bbike\s+ride\b", r"\bstretch(?:ed|ing)\b"]),
    ("Breathing exercises", [r"\bbreathing\s+exercises?\b", r"\bdeep\s+breath(?:s|ing)?\b", r"\bbox\s+breathing\b"]),
    ("Meditation or mindfulness", [r"\bmeditat(?:e|ed|ing|ion)\b", r"\bmindful(?:ness)?\b"]),
    ("Talking to someone", [
        r"\b(?:talk(?:ed|ing)?|spoke|speaking|vent(?:ed|ing)?|opened\s+up|met\s+up|called|phoned|rang)\s+(?:to|with)?\s*"
        r"(?:my\s+|a\s+|an\s+old\s+)?(?:friends?|sister|brother|mum|mom|mother|dad|father|partner|wife|husband|"
        r"girlfriend|boyfriend|family|someone|therapist|counsell?or|parents?)\b"]),
    ("Music", [r"\blisten(?:ed|ing)?\s+to\s+(?:some\s+|my\s+)?(?:music|songs?|an?\s+album|a\s+playlist)\b",
               r"\bsang\b", r"\bsinging\b", r"\bplay(?:ed|ing)?\s+(?:the\s+)?(?:guitar|piano|violin|drums)\b"]),
    ("Rest and early nights", [r"\bwent\s+to\s+bed\s+early\b", r"\bearly\s+night\b", r"\b(?:took|had)\s+a\s+nap\b",
                               r"\bnapped\b", r"\bslept\s+(?:well|in|early|better)\b"]),
    ("Therapy or counselling", [r"\btherap(?:y|ist)\b", r"\bcounsell?(?:ing|or)\b"]),
    ("Time outdoors", [r"\bfresh\s+air\b", r"\boutdoors\b", r"\bnature\b", r"\bgarden(?:ing)?\b", r"\bsunshine\b"]),
    ("Reading", [r"\bread(?:ing)?\s+(?:a|my|the)\s+(?:book|novel)\b", r"\breading\b"]),
))


def sleep_complaint(text: str) -> bool:
    """Whether text complains about sleep ("couldn't sleep", "insomnia", "up all night" ...)."""
    return SLEEP.search(normalise(text)) is not None


def stress_complaint(text: str) -> bool:
    """Whether text complains about stress ("stressed out", "overwhelmed", "anxious" ...), not about its absence."""
    return STRESS.search(normalise(text)) is not None

