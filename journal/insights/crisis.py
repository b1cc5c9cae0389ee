"""Crisis language: words about suicide, self-harm or harming others, checked on every save of an entry.

A set of precompiled regexes over common English phrasings. It favours recall on explicit first-person phrases ("I'm
not suicidal but..." is still flagged: a person should look at it) and avoids the common figures of speech ("this heat
is killing me", "I could kill for a coffee", "dead tired", "I cut myself shaving").

The write path imports it without the rest of the insights: it and journal.insights.phrases need only the standard
library.
"""

from __future__ import annotations

import re

from journal.insights.phrases import normalise, phrase_pattern

_ANYMORE = r"(?:any\s*more|any\s+longer)"
_CRISIS: dict[str, re.Pattern[str]] = {
    "suicidal_ideation": phrase_pattern([
        # "killing myself at the gym / trying to finish" is overwork, not intent.
        r"\bkill(?:ing)?\s+myself\b(?!\s+(?:laughing|with\s+laughter|at\s+(?:the\s+gym|work)|trying\b))",
        r"\b(?:end|ending|take|taking)\s+my\s+(?:own\s+)?life\b",
        r"\bend(?:ing)?\s+it\s+all\b",
        r"\b(?:don'?t|do\s+not|no\s+longer|never)\s+want\s+to\s+(?:be\s+alive|exist)\b",
        r"\b(?:don'?t|do\s+not|no\s+longer)\s+want\s+to\s+(?:live|be\s+here|be\s+around|go\s+on|wake\s+up)"
        r"(?:\s+like\s+this)?\s+" + _ANYMORE,
        r"\b(?:want(?:ed)?\s+to|wanna)\s+be\s+dead\b",
        r"\bunalive\b",
        r"\b(?:don'?t|do\s+not|never)\s+want\s+to\s+wake\s+up\s+(?:ever\s+)?again\b",
        r"\bno\s+longer\s+want\s+to\s+live\b",
        r"\b(?:want(?:ed|ing)?\s+to|wanna)\s+die\b"
        r"(?!\s+(?:of|from)\s+(?:embarrassment|shame|laughing|laughter|cringe|boredom))",
        r"\bwish(?:ed)?\s+(?:that\s+)?i\s+(?:was|were|could\s+be)\s+dead\b",
        r"\bwish(?:ed)?\s+(?:that\s+)?i\s+(?:had\s+never\s+been|was\s+never|were\s+never|wasn'?t|weren'?t)\s+"
        r"(?:born|alive)\b",
        r"\bbetter\s+off\s+dead\b",
        r"\b(?:better\s+off|happier)\s+without\s+me\b",
        r"\brather\s+be\s+dead\b(?!\s+than)",
        r"\b(?:no|any)\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|go(?:ing)?\s+on|(?:being|stay(?:ing)?)\s+alive)\b",
        r"\bnothing\s+(?:left\s+)?to\s+live\s+for\b",
        r"\b(?:not|isn'?t|ain'?t)\s+worth\s+living\b",
        r"\b(?:don'?t|do\s+not)\s+deserve\s+to\s+live\b",
        r"\b(?:can'?t|cannot)\s+go\s+on\s+(?:living|" + _ANYMORE + r")",
        r"\bsuicid(?:e|es|al|ality)\b(?!\s+squad)",
        r"\boverdos(?:e|ed|ing)\s+on\s+purpose\b",
        r"\b(?:deliberate(?:ly)?|intentional(?:ly)?)\s+overdos",
        r"\b(?:take|took|taking)\s+an\s+overdose\b",
        r"\b(?:take|took|taking|swallow(?:ed|ing)?)\s+the\s+whole\s+(?:bottle|pack|packet|box)\b",
        r"\b(?:hang|hanging|hanged)\s+myself\b",
        r"\bjump(?:ed|ing)?\s+(?:off\s+(?:a|the)\s+(?:bridge|roof|building)|in\s+front\s+of\s+a\s+(?:train|bus|car))",
    ]),
    "self_harm": phrase_pattern([
        r"\bself[-\s]?harm(?:ing|ed)?\b",
        r"\bharm(?:ed|ing)?\s+myself\b",
        # "hurt / cut myself" alone is usually an accident (the gym, shaving): only with intent.
        r"\b(?:want(?:ed|ing)?|urges?|tempted|thinking\s+(?:about|of)|thought\s+(?:about|of)|thoughts\s+of|"
        r"feel\s+like|felt\s+like|going\s+to|gonna|started|stop\s+myself\s+from)\s+(?:to\s+)?"
        r"(?:hurt(?:ing)?|cut(?:ting)?|burn(?:ing)?|punish(?:ing)?|scratch(?:ing)?|starv(?:e|ing)|hit(?:ting)?)\s+"
        r"myself\b",
        r"\b(?:hurt|hurting|cut|cutting|burn(?:ed|t|ing)?|hit|hitting)\s+myself\s+(?:on\s+purpose|deliberately)\b",
        r"\b(?:cut|cutting|slit|slitting|slash(?:ed|ing)?)\s+my\s+wrists?\b",
        r"\bcutting\s+(?:again|my\s+(?:arms|thighs|legs))\b",
    ]),
    "harm_to_others": phrase_pattern([
        # Only against people in general: "I'm going to kill him" about a sibling is nearly always a figure of speech.
        r"\b(?:want(?:ed)?|urges?|thoughts\s+of|thinking\s+(?:about|of)|going\s+to|gonna|feel\s+like)\s+(?:to\s+)?"
        r"(?:hurt(?:ing)?|kill(?:ing)?|harm(?:ing)?|stab(?:bing)?|shoot(?:ing)?)\s+"
        r"(?:someone|somebody|people|others|everyone|them\s+all)\b",
    ]),
}

# Figures of speech that only look like crisis language ("dead tired", "this heat is killing me", "I hurt myself at
# the gym"). crisis_language lets them pass in a person's entry; text we write ourselves (the demo journals) avoids
# them as well, so that it reads as unmistakably safe.
_LOOKALIKES = re.compile(r"kill (?:my)?self|end (?:my|it all)|ending my|hurt(?:ing)? myself|harm(?:ing)? myself|"
                         r"suicid|better off dead|no reason to live|want to die|\bdead\b|\bkilling\b", re.IGNORECASE)


def crisis_language(text: str) -> list[str]:
    """The crisis categories ("suicidal_ideation", "self_harm", "harm_to_others") whose phrases occur in text, in
    that order. Fast enough to run on every save: a few precompiled regexes, one pass each."""
    text = normalise(text)
    return [category for category, pattern in _CRISIS.items() if pattern.search(text)]


def sounds_like_crisis(text: str) -> bool:
    """Whether text has crisis language or words that only look like it: the check for text we write, never the one
    for a person's entry (that is crisis_language)."""
    return bool(crisis_language(text)) or _LOOKALIKES.search(text) is not None
