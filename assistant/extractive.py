"""Reading retrieved passages without a model: which are relevant to a question, which of their sentences answer
it, and the extractive answer that quotes them when a model's draft cannot be trusted. Imports nothing from Django.

Words are compared as crude stems ("sleeping" and "sleeps" are "sleep") without the words every question and
record share ("my", "journal", "records"): relevance is about what the question is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from meditrack.reports.factcheck import DATE_PATTERNS, MONTHS

FALLBACK_LEAD = "I couldn't write a checked answer, so here is what your records say:"
SENTENCES_QUOTED = 5
SNIPPET_CHARS = 200
QUOTE_CHARS = 280

STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing done down during each few for from further get got had has have having he her
here hers him his how i if in into is it its itself just let me more most much my myself no nor not now of off on
once only or other our out over own please same she should so some such than that the their them then there these
they this those through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself tell show give know say said says according record records journal journals entry
entries document documents note notes wrote write written source sources mention mentioned lately recently last past
ago since week weeks day days month months year years today yesterday fortnight two three four few couple time
don't didn't i'm i've i'd it's that's there's can't
""".split())

# What a question about how someone has been feeling asks about, and the words with which entries answer it
# (stemmed below, as the words they are compared with).
FEELINGS_ASKED_WORDS = ("mood feel feeling emotion emotional spirits cope coping mental stress anxious anxiety happy "
                        "sad low")
FEELINGS_PHRASES = ("how have i been", "how am i doing", "how i've been")
FEELING_WORDS_WRITTEN = """
feel felt mood happy sad tired exhausted stressed anxious anxiety worry worried calm relaxed overwhelmed awful great
good bad miserable angry furious frustrated lonely relieved proud grateful hope hopeful scared nervous dread dreading
wrecked burned buzzing amazing lovely low drained tense upset cry cried content excited joy peace panic restless fine
okay better worse hate love enjoy glad down heavy sick hopeless dreadful horrible wonderful fantastic terrible
"""
IRREGULAR = {"felt": "feel", "slept": "sleep", "ran": "run", "ate": "eat", "went": "go", "woke": "wake"}
SUFFIXES = ("ing", "ed", "es", "ly", "s")

NUMBER_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "couple of": 2, "few": 3}
UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14, "month": 30}
WINDOW = re.compile(r"\b(?:last|past|previous)\s+(?:(?P<n>\d{1,3}|a|one|two|three|four|five|six|couple of|few)\s+)?"
                    r"(?P<unit>day|week|fortnight|month)s?\b", re.IGNORECASE)
THIS_PERIOD = re.compile(r"\bthis\s+(?P<unit>week|month)\b", re.IGNORECASE)
LATELY = re.compile(r"\b(?:lately|recently|these days)\b", re.IGNORECASE)
LATELY_DAYS = 14

WORD = re.compile(r"[^\W\d_][\w']+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _suffix_off(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):  # "stress", "anxious", "this"
                return word
            return word[: -len(suffix)]
    return word


def stem(word: str) -> str:
    word = word.lower().strip("'")
    word = IRREGULAR.get(word, word)
    single = _suffix_off(word)
    # A plural's own word may end in a suffix too: "feelings" is "feel".
    return _suffix_off(single) if word.endswith("s") and single != word else single


FEELINGS_ASKED = frozenset(stem(w) for w in FEELINGS_ASKED_WORDS.split())
FEELING_WORDS = frozenset(stem(w) for w in FEELING_WORDS_WRITTEN.split())


def terms(text: str) -> set[str]:
    """The text's content words, stemmed."""
    return {stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 2}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def asks_about_feelings(question: str) -> bool:
    words = {stem(w) for w in WORD.findall(question.lower())}
    return bool(words & FEELINGS_ASKED) or any(phrase in question.lower() for phrase in FEELINGS_PHRASES)


def window_days(question: str) -> int | None:
    """The span of days the question asks about ("over the last two weeks": 14), if it names one."""
    match = WINDOW.search(question)
    if match:
        raw = (match.group("n") or "1").lower()
        count = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
        return count * UNIT_DAYS[match.group("unit").lower()]
    match = THIS_PERIOD.search(question)
    if match:
        return UNIT_DAYS[match.group("unit").lower()]
    return LATELY_DAYS if LATELY.search(question) else None


def dates_written(text: str) -> list[date]:
    """The days the text names with their year ("3 March 2026", "2026-03-03"), in order; 03/04/2026 is ambiguous:
    left out."""
    found = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            if not groups.get("year") or not groups.get("day") or groups.get("a"):
                continue
            month = MONTHS[groups["month"].lower()] if groups.get("month") else int(groups["mnum"])
            try:
                found.append((match.start(), date(int(groups["year"]), month, int(groups["day"]))))
            except ValueError:
                continue
    return [day for _, day in sorted(found)]


def written_on(title: str) -> date | None:
    """The day a source was written, when its title names one with its year ("Journal, 3 March 2026")."""
    days = dates_written(title)
    return days[0] if days else None


def relevant(passage, question: str) -> bool:
    """Retrieval always finds nearest neighbours, and its full-text half matches any one word ("last", "week"): a
    passage answers the question when it shares a word of substance with it, or when the question asks how someone
    has been feeling and the passage is from a journal."""
    if terms(question) & terms(f"{passage.title} {passage.text}"):
        return True
    return passage.source_type == "journal_entry" and asks_about_feelings(question)


@dataclass(frozen=True)
class Quote:
    n: int
    title: str
    text: str


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def best_sentence(text: str, question: str, *, feelings: bool = False) -> tuple[int, str]:
    """The sentence of the text that best answers the question, with its score (shared words; for a question
    about feelings, words of feeling count too)."""
    asked = terms(question)
    best = (-1, "")
    for position, sentence in enumerate(sentences(text)):
        if len(sentence.split()) < 3:
            continue
        words = terms(sentence)
        score = 2 * len(words & asked) + (len(words & FEELING_WORDS) if feelings else 0)
        if score > best[0] or (score == best[0] and position == 0):
            best = (score, sentence)
    if best[0] < 0:
        return 0, text.strip()
    return best


def snippet(text: str, question: str) -> str:
    return _clip(best_sentence(text, question, feelings=asks_about_feelings(question))[1], SNIPPET_CHARS)


def _window_split(items, question: str, today: date | None) -> tuple[list, list]:
    """The items written within the span of days the question names, and the rest (all of them without a span)."""
    days = window_days(question)
    if days is None or today is None:
        return [], list(items)
    since = today - timedelta(days=days)
    within = [(written_on(item.title) or date.min) >= since for item in items]
    return ([i for i, w in zip(items, within, strict=True) if w],
            [i for i, w in zip(items, within, strict=True) if not w])


def in_window_first(items, question: str, today: date | None) -> list:
    within, rest = _window_split(items, question, today)
    return within + rest


def _quotes(sources, question: str, today: date | None) -> list[Quote]:
    feelings = asks_about_feelings(question)
    pool = list(sources)
    if feelings:
        journal = [s for s in pool if s.source_type == "journal_entry"]
        pool = journal or pool
    within, rest = _window_split(pool, question, today)
    pool = within or rest
    scored = []
    for rank, source in enumerate(pool):
        score, sentence = best_sentence(source.text, question, feelings=feelings)
        if sentence:
            scored.append((score, rank, source, sentence))
    if feelings:
        # How someone has been is told by their latest entries, read in order.
        def order(s):
            return written_on(s[2].title) or date.min, -s[1]
        chosen = sorted(_distinct(sorted(scored, key=order, reverse=True))[:SENTENCES_QUOTED], key=order)
    else:
        answering = [s for s in scored if s[0] > 0] or scored[:2]
        chosen = sorted(_distinct(sorted(answering, key=lambda s: (-s[0], s[1])))[:SENTENCES_QUOTED],
                        key=lambda s: s[1])
    return [Quote(n=source.n, title=source.title, text=_clip(sentence, QUOTE_CHARS))
            for _, _, source, sentence in chosen]


def _distinct(scored: list) -> list:
    """The same sentence written on two days is quoted once (the first in the order given)."""
    seen: set[str] = set()
    kept = []
    for item in scored:
        key = " ".join(item[3].lower().split())
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def extractive_answer(sources, question: str, *, today: date | None = None) -> tuple[str, list[Quote]]:
    """An answer quoted from the sources, labelled as such: for each chosen sentence its source's title, the
    sentence as written, and its citation. Returns the Markdown and the quotes."""
    quotes = _quotes(sources, question, today)
    lines = [FALLBACK_LEAD, ""]
    for quote in quotes:
        lines.append(f"- **{_escape(quote.title)}**: “{_escape(quote.text)}” [{quote.n}]")
    return "\n".join(lines), quotes


def _escape(text: str) -> str:
    """Quoted text stays text: Markdown's emphasis, links and HTML in a passage are not formatting."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", " ".join(text.split()))
