"""The pure computation behind the journal's insights: comprehensive facts, predictive risks, crisis language and the
deterministic reflective profile.

Imports nothing from Django, so it is testable and benchmarkable alone (bench/insights.py). The caller turns journal
entries and their analyses into EntryFacts; every function returns plain, JSON-serialisable dicts (ints, floats, str,
lists, None), with dates as ISO strings. Nothing here logs, and no exception message carries an entry's text.

Days are calendar days in the user's time zone (`tz`); `today` is that zone's date, passed in so that results are
reproducible. A day's sentiment is the mean score of its analysed entries, and every trend is fitted to those daily
means, so a day with many entries does not outweigh a day with one.

Statistics use numpy and scipy.stats (the Student t and F distributions); themes use scikit-learn (KMeans,
silhouette_score). Both are imported where they are used, not at the top: they add about 2 s and 100 MB to every
process that imports this module, and the web tier does (for crisis_language) without ever computing an insight.

Themes are k-means clusters of the entries' unit-length sentence embeddings, k chosen by the mean silhouette (cosine
distance) among 2..MAX_THEMES (see _choose_clusters), seeded by k-means++ from a fixed seed, so the same journal
always gives the same themes. A theme is named by its most distinctive single words: the ones most of its entries
use and the other entries rarely do. Only single words leave this module, never phrases of an entry.

Crisis language (crisis_language) is a set of precompiled regexes over common English phrasings. It favours recall on
explicit first-person phrases ("I'm not suicidal but..." is still flagged: a person should look at it) and avoids the
common figures of speech ("this heat is killing me", "I could kill for a coffee", "dead tired", "I cut myself shaving").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from itertools import chain

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from threadpoolctl import ThreadpoolController

__all__ = [
    "EntryFacts", "ProfileSchema", "ProfileStatement", "comprehensive", "crisis_language", "fallback_profile",
    "predictive", "profile_citations_valid", "sleep_complaint", "stress_complaint",
]

# The offline analyser labels |score| <= 0.09 neutral (meditrack/inference/analyser.py); means are judged alike.
NEUTRAL_BAND = 0.09
ROLLING_DAYS = 7
RECENT_DAYS = 14
# Below five daily points a slope's standard error rests on two or three residual degrees of freedom: too few.
MIN_TREND_DAYS = 5
TREND_P_VALUE = 0.05
# A significant slope that moves less than this over the fortnight is not worth a user's attention.
MIN_TREND_CHANGE = 0.15
MIN_VOLATILITY_DAYS = 5
VOLATILITY_P_VALUE = 0.05
MIN_VOLATILITY_RATIO = 1.5
MIN_VOLATILITY_STD = 0.15
# Complaints on three different days of a fortnight are a pattern; three entries about one bad night are not.
MIN_COMPLAINT_DAYS = 3
# Crisis language is always reported, but only while it is recent enough to be about now.
CRISIS_WINDOW_DAYS = 30
FORECAST_DAYS = 7
FORECAST_HISTORY_DAYS = 28
MIN_FORECAST_DAYS = 5
FORECAST_LEVEL = 0.95
MIN_WEEK_ENTRIES = 2
MAX_THEMES = 8
MIN_THEME_ENTRIES = 3
# Below this mean silhouette the clusters are noise: better no themes than invented ones.
MIN_SILHOUETTE = 0.02
# k-means++ runs: one is scikit-learn's own default; three cost 30 ms more and took the benchmark over its target.
KMEANS_INITS = 1
KMEANS_ITERATIONS = 30
# The exact silhouette needs an n x n distance matrix; beyond this many entries a fixed sample of them is scored.
SILHOUETTE_SAMPLE = 500
KEYWORDS_PER_THEME = 5
REPRESENTATIVES_PER_THEME = 5
MAX_CITATIONS = 8
MAX_STATEMENTS = 6
# What the fallback profile calls a pattern: mentions in at least this many entries (two for a coping activity), or a
# feeling that leads at least this share of the entries.
MIN_PATTERN_ENTRIES = 3
MIN_COPING_ENTRIES = 2
MIN_EMOTION_SHARE = 0.1
MAX_STATEMENT_CHARS = 300
SEED = 0
DISCLAIMER = "A reflection of what you wrote, not a diagnosis."
LABELS = ("negative", "neutral", "positive")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Hours at which each part of the day starts; night runs from 22:00 to 05:00.
TIME_OF_DAY = (("night", 0), ("morning", 5), ("afternoon", 12), ("evening", 17), ("night", 22))
NEGATIVE_EMOTIONS = frozenset({"sadness", "fear", "anger", "disgust"})
POSITIVE_EMOTIONS = frozenset({"joy", "love", "gratitude", "hope", "calm"})

STOP_WORDS = frozenset("""
a about above after again against all almost also am an and any anyone anything are around as at back be because
been before being below between both but by came can cannot come could did didn do does doesn doing don done down
during each even ever every feel feeling felt few for from get getting go going gone got had has have having he her
here hers herself him himself his how however i if im in into is isn it its itself ive just know last least less let
like little lot made make many may me might more most much must my myself need never next no nor not now of off often
oh ok okay on once one only or other our ours ourselves out over own pretty quite rather really said same say see
seem seemed she should since so some something still such take than that the their theirs them themselves then there
these they thing things think this those though thought through time to today told too tomorrow took try trying up
upon us very want was wasn way we week well went were what when where which while who whom why will with without
would yesterday yet you your yours yourself
aren couldn didn doesn hadn hasn haven isn shouldn wasn weren won wouldn
""".split())

# Typographic apostrophes become ASCII ones, so "don’t" matches "don'?t"; quotes, dashes and the like become spaces,
# so that they separate words (in the keyword tokeniser too, which splits on ASCII only).
_NORMALISE = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'",
                            **dict.fromkeys("\u00a0\u201c\u201d\u201e\u00ab\u00bb\u2013\u2014\u2026\u2022", " ")})
# Every ASCII byte but a lower-case letter separates words ("don't" gives "don" and "t", both dropped).
_WORD_BYTES = bytes(b if 97 <= b <= 122 or b >= 128 else 32 for b in range(256))
_STOP_BYTES = frozenset(word.encode() for word in STOP_WORDS)
_SPACE_BYTES = np.zeros(256, dtype=bool)
_SPACE_BYTES[list(b" \t\n\r\x0b\x0c")] = True


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


# --- crisis language and complaint families ------------------------------------------------------------------------

def _compile(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regex for phrases that each start at a word boundary, to search in _normalise()d text. The boundary is
    tested once, before the alternatives: most positions are inside a word and fail it at once, which makes the search
    several times faster than a boundary at the head of each alternative (as is matching lower case text without
    IGNORECASE)."""
    patterns = list(patterns)
    if not all(p.startswith(r"\b") for p in patterns):
        raise ValueError("every phrase must start at a word boundary")
    return re.compile(r"\b(?:" + "|".join(f"(?:{p[2:]})" for p in patterns) + ")")


def _normalise(text: str) -> str:
    return text.translate(_NORMALISE).lower()


_ANYMORE = r"(?:any\s*more|any\s+longer)"
_CRISIS: dict[str, re.Pattern[str]] = {
    "suicidal_ideation": _compile([
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
    "self_harm": _compile([
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
    "harm_to_others": _compile([
        # Only against people in general: "I'm going to kill him" about a sibling is nearly always a figure of speech.
        r"\b(?:want(?:ed)?|urges?|thoughts\s+of|thinking\s+(?:about|of)|going\s+to|gonna|feel\s+like)\s+(?:to\s+)?"
        r"(?:hurt(?:ing)?|kill(?:ing)?|harm(?:ing)?|stab(?:bing)?|shoot(?:ing)?)\s+"
        r"(?:someone|somebody|people|others|everyone|them\s+all)\b",
    ]),
}

_SLEEP = _compile([
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
_STRESS = _compile([
    r"\b(?=[sato])(?<!\bnot\s)(?<!\bno\s)(?<!\bless\s)(?<!\bnever\s)"
    r"(?:stress(?:ed|ful|ing)?\b(?![-\s]?(?:free|relief|less|ball)|\s+enough)|overwhelm(?:ed|ing)\b|anxious\b|anxiety\b|tense\b)",
    r"\bpanic(?:ky)?\s+attacks?\b", r"\bpanick(?:ed|ing)\b", r"\bburn(?:ed|t)[-\s]?out\b", r"\bburnout\b",
    r"\bunder\s+(?:a\s+lot\s+of\s+|so\s+much\s+|too\s+much\s+)?pressure\b", r"\bon\s+edge\b",
    r"\b(?:can'?t|cannot|couldn'?t)\s+cope\b", r"\btoo\s+much\s+(?:to\s+handle|on\s+my\s+plate)\b",
    r"\bworried\s+sick\b", r"\bfreaking\s+out\b", r"\bfrazzled\b", r"\bat\s+my\s+wits'?\s+end\b",
])
# Name, as a statement starts it, and phrases. Journaling itself is left out: every entry is one.
_COPING: tuple[tuple[str, re.Pattern[str]], ...] = tuple((name, _compile(patterns)) for name, patterns in (
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


def crisis_language(text: str) -> list[str]:
    """The crisis categories ("suicidal_ideation", "self_harm", "harm_to_others") whose phrases occur in text, in
    that order. Fast enough to run on every save: a few precompiled regexes, one pass each."""
    text = _normalise(text)
    return [category for category, pattern in _CRISIS.items() if pattern.search(text)]


def sleep_complaint(text: str) -> bool:
    """Whether text complains about sleep ("couldn't sleep", "insomnia", "up all night" ...)."""
    return _SLEEP.search(_normalise(text)) is not None


def stress_complaint(text: str) -> bool:
    """Whether text complains about stress ("stressed out", "overwhelmed", "anxious" ...), not about its absence."""
    return _STRESS.search(_normalise(text)) is not None


# --- one thread ---------------------------------------------------------------------------------------------------

_threadpools: ThreadpoolController | None = None


def _one_thread():
    """A context in which numpy's BLAS and scikit-learn's OpenMP loops run on one thread. The matrices here are small
    (entries x 384): a second thread gains nothing, and while the other cores are busy (other worker processes) the
    threads wait on each other; on the 2-core dev machine under load that made comprehensive() 2.5-3.5 times slower
    (KMeans alone 3-4 times)."""
    global _threadpools
    if _threadpools is None:
        import sklearn.cluster  # noqa: F401  (loads its OpenMP runtime, which the controller must see)

        _threadpools = ThreadpoolController()  # scans the loaded libraries (ms): once per process
    return _threadpools.limit(limits=1)


# --- the entries as columns ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Table:
    """The entries in chronological order, with one numpy column per number a computation needs."""
    entries: list[EntryFacts]
    ids: np.ndarray  # int64
    day: np.ndarray  # int64, proleptic Gregorian ordinal of the local date
    hour: np.ndarray  # int64, local hour
    score: np.ndarray  # float64, nan where not analysed
    mood: np.ndarray  # float64, nan where not rated


def _table(entries: Sequence[EntryFacts], tz: tzinfo) -> _Table:
    for entry in entries:
        if entry.written_at.tzinfo is None:
            raise ValueError(f"entry {entry.id}: written_at must be timezone-aware")
    ordered = sorted(entries, key=lambda e: (e.written_at, e.id))
    local = [e.written_at.astimezone(tz) for e in ordered]
    n = len(ordered)
    return _Table(
        entries=ordered,
        ids=np.fromiter((e.id for e in ordered), np.int64, n),
        day=np.fromiter((t.toordinal() for t in local), np.int64, n),
        hour=np.fromiter((t.hour for t in local), np.int64, n),
        score=np.fromiter((np.nan if e.score is None else e.score for e in ordered), np.float64, n),
        mood=np.fromiter((np.nan if e.mood is None else e.mood for e in ordered), np.float64, n),
    )


def _daily(day: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days (sorted ordinals) that have a value, the mean value of each, and how many values each has."""
    known = ~np.isnan(values)
    days, inverse, counts = np.unique(day[known], return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=values[known], minlength=len(days))
    return days, sums / np.maximum(counts, 1), counts


def _rolling_mean(days: np.ndarray, means: np.ndarray, window: int) -> np.ndarray:
    """For each day, the mean of the daily means of the days with a value within the `window` calendar days ending
    on it: a gap in the journal shortens the window instead of counting as zero."""
    totals = np.concatenate(([0.0], np.cumsum(means)))
    end = np.arange(1, len(days) + 1)
    start = np.searchsorted(days, days - (window - 1), side="left")
    return (totals[end] - totals[start]) / (end - start)


def _iso(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).isoformat()


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def _mean(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else None


def _label(score: float | None) -> str | None:
    if score is None:
        return None
    return "negative" if score < -NEUTRAL_BAND else "positive" if score > NEUTRAL_BAND else "neutral"


def _ids(values: np.ndarray) -> list[int]:
    return [int(i) for i in values]


# --- statistics ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Fit:
    """Ordinary least squares y = intercept + slope * x."""
    n: int
    slope: float
    intercept: float
    residual_std: float
    x_mean: float
    sxx: float

    @property
    def df(self) -> int:
        return self.n - 2

    @property
    def std_error(self) -> float:
        return self.residual_std / math.sqrt(self.sxx)

    @property
    def t(self) -> float:
        if self.std_error == 0.0:
            return 0.0 if self.slope == 0.0 else math.copysign(math.inf, self.slope)
        return self.slope / self.std_error

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.intercept + self.slope * x

    def prediction_half_width(self, x: np.ndarray, level: float) -> np.ndarray:
        """Half-width of the prediction interval of a new observation at x: wider the further x is from the data."""
        se = self.residual_std * np.sqrt(1.0 + 1.0 / self.n + (x - self.x_mean) ** 2 / self.sxx)
        return _t_critical(level, self.df) * se


def _t_critical(level: float, df: int) -> float:
    """The t such that P(|T| <= t) = level for Student's t with df degrees of freedom (0.95: the two-sided 95%
    critical value)."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2.0, df))


def _fit(x: np.ndarray, y: np.ndarray) -> _Fit | None:
    """The least-squares line through (x, y), or None with fewer than three points or a single x."""
    n = len(x)
    if n < 3:
        return None
    x_mean, y_mean = x.mean(), y.mean()
    sxx = float(((x - x_mean) ** 2).sum())
    if sxx == 0.0:
        return None
    slope = float(((x - x_mean) * (y - y_mean)).sum() / sxx)
    intercept = float(y_mean - slope * x_mean)
    residuals = y - (intercept + slope * x)
    return _Fit(n, slope, intercept, float(math.sqrt((residuals ** 2).sum() / (n - 2))), float(x_mean), sxx)


# --- comprehensive -------------------------------------------------------------------------------------------------

def comprehensive(entries: Sequence[EntryFacts], *, tz: tzinfo, today: date) -> dict:
    """Descriptive facts about a whole journal: counts and period, daily sentiment with its rolling mean, labels,
    emotions, themes, writing patterns, best and worst weeks, daily mood. Entries may come in any order."""
    with _one_thread():
        return _comprehensive(_table(entries, tz), today, tz)


def _comprehensive(table: _Table, today: date, tz: tzinfo) -> dict:
    analysed = ~np.isnan(table.score)
    return {
        "kind": "comprehensive",
        "as_of": today.isoformat(),
        "timezone": str(tz),
        "entry_count": len(table.entries),
        "analysed_count": int(analysed.sum()),
        "period": None if not len(table.entries) else {
            "first": _iso(table.day[0]), "last": _iso(table.day[-1]),
            "days": int(table.day[-1] - table.day[0] + 1),
        },
        "sentiment": _sentiment_series(table),
        "labels": _label_distribution(table),
        "top_emotions": _top_emotions(table),
        "themes": _themes(table),
        "patterns": _patterns(table),
        "weeks": _weeks(table),
        "mood": _mood_series(table),
    }


def _sentiment_series(table: _Table) -> dict:
    days, means, counts = _daily(table.day, table.score)
    rolling = _rolling_mean(days, means, ROLLING_DAYS)
    return {
        "mean_score": _round(_mean(table.score)),
        "rolling_window_days": ROLLING_DAYS,
        "daily": [{"date": _iso(d), "mean_score": _round(m), "entries": int(c), "rolling_mean": _round(r)}
                  for d, m, c, r in zip(days.tolist(), means.tolist(), counts.tolist(), rolling.tolist(), strict=True)],
    }


def _mood_series(table: _Table) -> dict | None:
    days, means, counts = _daily(table.day, table.mood)
    if not len(days):
        return None
    return {
        "mean_mood": _round(_mean(table.mood), 2),
        "rated_entries": int(counts.sum()),
        "daily": [{"date": _iso(d), "mean_mood": _round(m, 2), "entries": int(c)}
                  for d, m, c in zip(days.tolist(), means.tolist(), counts.tolist(), strict=True)],
    }


def _label_distribution(table: _Table) -> dict:
    counts = dict.fromkeys(LABELS, 0)
    for entry in table.entries:
        if entry.label in counts:
            counts[entry.label] += 1
    total = sum(counts.values())
    return {"counts": counts, "shares": {k: _round(v / total if total else None, 3) for k, v in counts.items()}}


def _top_emotions(table: _Table, top: int = 6) -> list[dict]:
    """Emotions by their mean probability over the entries that have emotions (an emotion outside an entry's top
    list counts as zero there), with how many entries list it and how many have it first."""
    totals: dict[str, list[float]] = {}
    with_emotions = 0
    for entry in table.entries:
        if not entry.emotions:
            continue
        with_emotions += 1
        for rank, (label, probability) in enumerate(entry.emotions):
            row = totals.setdefault(label, [0.0, 0, 0])
            row[0] += probability
            row[1] += 1
            row[2] += rank == 0
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))[:top]
    return [{"label": label, "mean_score": _round(total / with_emotions), "entries": int(listed),
             "first_in": int(first)} for label, (total, listed, first) in ranked]


def _word_counts(texts: list[str]) -> np.ndarray:
    """The number of words (runs of anything but ASCII whitespace) of each text, counted in one pass over all of
    them: splitting each text into word objects just to count them cost more than the rest of the patterns."""
    encoded = [text.encode() for text in texts]
    if not encoded:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)))
    space = _SPACE_BYTES[np.frombuffer(b"".join(encoded), dtype=np.uint8)]
    # A word starts at a non-space byte after a space or at the start of a text.
    after_space = np.concatenate(([True], space[:-1]))[:len(space)]
    after_space[ends[ends < len(space)]] = True
    starts = np.flatnonzero(~space & after_space)
    return np.bincount(np.searchsorted(ends, starts, side="right"), minlength=len(encoded)).astype(np.int64)


def _patterns(table: _Table) -> dict:
    bucket_names = [name for name, _ in TIME_OF_DAY]
    starts = np.array([start for _, start in TIME_OF_DAY])
    bucket = np.searchsorted(starts, table.hour, side="right") - 1
    weekday = (table.day - 1) % 7  # ordinal 1 (1 Jan of year 1) was a Monday
    words = _word_counts([e.text for e in table.entries])

    def grouped(groups: np.ndarray, names: Sequence[str]) -> dict:
        counts = np.bincount(groups, minlength=len(names))
        analysed = ~np.isnan(table.score)
        scored = np.bincount(groups[analysed], minlength=len(names))
        sums = np.bincount(groups[analysed], weights=table.score[analysed], minlength=len(names))
        result: dict[str, dict] = {}
        for index, name in enumerate(names):
            row = result.setdefault(name, {"entries": 0, "scored": 0, "sum": 0.0})
            row["entries"] += int(counts[index])
            row["scored"] += int(scored[index])
            row["sum"] += float(sums[index])
        return {name: {"entries": row["entries"],
                       "mean_score": _round(row["sum"] / row["scored"] if row["scored"] else None)}
                for name, row in result.items()}

    time_of_day = grouped(bucket, bucket_names)
    return {
        "time_of_day": {name: time_of_day[name] for name in ("morning", "afternoon", "evening", "night")},
        "weekday": grouped(weekday, WEEKDAYS),
        "length_words": None if not len(words) else {
            "mean": _round(words.mean(), 1), "median": _round(float(np.median(words)), 1),
            "min": int(words.min()), "max": int(words.max()), "total": int(words.sum()),
        },
    }


def _weeks(table: _Table) -> dict:
    """The ISO weeks with the highest and lowest mean entry score among weeks with at least MIN_WEEK_ENTRIES analysed
    entries; none when fewer than two weeks qualify (one week is not the best of anything)."""
    analysed = ~np.isnan(table.score)
    day, score, ids = table.day[analysed], table.score[analysed], table.ids[analysed]
    monday = day - (day - 1) % 7
    mondays, inverse, counts = np.unique(monday, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=score, minlength=len(mondays)) / np.maximum(counts, 1)
    eligible = np.flatnonzero(counts >= MIN_WEEK_ENTRIES)
    result: dict = {"min_entries": MIN_WEEK_ENTRIES, "eligible_weeks": int(len(eligible)), "best": None, "worst": None}
    if len(eligible) < 2:
        return result

    def week(index: int) -> dict:
        start = date.fromordinal(int(mondays[index]))
        year, number, _ = start.isocalendar()
        return {"week": f"{year}-W{number:02d}", "start": start.isoformat(), "mean_score": _round(means[index]),
                "entries": int(counts[index]), "entry_ids": _ids(ids[inverse == index])}

    result["best"] = week(int(eligible[np.argmax(means[eligible])]))
    result["worst"] = week(int(eligible[np.argmin(means[eligible])]))
    return result


def _themes(table: _Table) -> dict:
    """Recurring themes: clusters of the entry embeddings, each named by its distinctive words. status is "ok",
    "insufficient_data" (fewer than 2 * MIN_THEME_ENTRIES embedded entries) or "no_distinct_themes"."""
    embedded = [i for i, e in enumerate(table.entries) if e.embedding is not None]
    themes: list[dict] = []
    result: dict = {"status": "insufficient_data", "embedded_entries": len(embedded), "k": None, "silhouette": None,
                    "items": themes}
    if len(embedded) < 2 * MIN_THEME_ENTRIES:
        return result
    # Embeddings of another model (another dimension) cannot be compared: the latest entry's model wins.
    dimension = np.asarray(table.entries[embedded[-1]].embedding).size
    rows = np.array([i for i in embedded if np.asarray(table.entries[i].embedding).size == dimension])
    x = np.stack([np.asarray(table.entries[i].embedding, dtype=np.float32).reshape(-1) for i in rows])
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x /= np.where(norms > 0, norms, 1.0)
    result["embedded_entries"] = n = len(rows)
    if n < 2 * MIN_THEME_ENTRIES:
        return result
    labels, centres, silhouette = _choose_clusters(x)
    result.update(k=int(len(centres)), silhouette=_round(silhouette, 3))
    if silhouette < MIN_SILHOUETTE:
        result["status"] = "no_distinct_themes"
        return result
    keywords = _distinctive_words([table.entries[i].text for i in rows], labels, len(centres))
    similarity = np.einsum("ij,ij->i", x, centres[labels])
    for cluster in range(len(centres)):
        members = np.flatnonzero(labels == cluster)
        if len(members) < MIN_THEME_ENTRIES:
            continue
        member_rows = rows[members]
        closest = members[np.argsort(-similarity[members], kind="stable")[:REPRESENTATIVES_PER_THEME]]
        mean_score = _mean(table.score[member_rows])
        themes.append({
            "id": 0,
            "keywords": keywords[cluster],
            "entries": int(len(members)),
            "share": _round(len(members) / n, 3),
            "mean_score": _round(mean_score),
            "label": _label(mean_score),
            "entry_ids": _ids(table.ids[member_rows]),
            "representative_ids": _ids(table.ids[rows[closest]]),
        })
    themes.sort(key=lambda theme: (-theme["entries"], theme["entry_ids"][0]))
    for number, theme in enumerate(themes, 1):
        theme["id"] = number
    result["status"] = "ok"
    return result


def _choose_clusters(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Labels, unit centres and mean silhouette of the clustering into k in 2..MAX_THEMES themes with the best
    silhouette (k is 1, silhouette 0, when the entries have fewer than two distinct embeddings).

    The entries are over-segmented once into the largest k by scikit-learn's KMeans (k-means++ from a fixed seed),
    then the two clusters whose union loses the least cohesion are merged, again and again down to two: each k costs
    a merge and a silhouette instead of k-means runs of its own, and pieces of one real theme, being close, are merged
    first. (A KMeans per k took 190 against 85 ms of CPU on the benchmark's 1,000 entries, and chose worse themes:
    k=4 at silhouette 0.32 against k=5 at 0.40.) The chosen partition is then refined by k-means from its merged
    centres."""
    n = len(x)
    # k-means cannot find more clusters than there are distinct points (the same text gives the same embedding).
    k_max = min(MAX_THEMES, n // MIN_THEME_ENTRIES, len({row.tobytes() for row in x}))
    if k_max < 2:
        centre = x.mean(axis=0, keepdims=True)
        return np.zeros(n, dtype=np.int64), centre / max(float(np.linalg.norm(centre)), 1e-12), 0.0
    sample = np.arange(n)
    if n > SILHOUETTE_SAMPLE:
        sample = np.sort(np.random.default_rng(SEED).choice(n, SILHOUETTE_SAMPLE, replace=False))
    # Cosine distances of the (sampled) entries, computed once for every k: silhouette_score's own sample_size would
    # compute them again for each k. Both it and KMeans are faster on float64 (in float32 they upcast row by row).
    distances = np.maximum(1.0 - x[sample] @ x[sample].T, 0.0).astype(np.float64)
    np.fill_diagonal(distances, 0.0)
    x64 = x.astype(np.float64)
    labels = _kmeans(x64, k_max, "k-means++")[0]
    sums = _cluster_sums(x, labels, k_max).astype(np.float64)
    group = np.arange(k_max)  # the merged cluster each of the k_max clusters now belongs to
    best: tuple[float, np.ndarray] | None = None
    for k in range(k_max, 1, -1):
        if k < k_max:
            # Cohesion of a cluster = the summed similarity of its entries to its unit centre = |sum of its entries|.
            gram = sums @ sums.T
            norms = np.sqrt(np.maximum(np.diag(gram), 0.0))
            merged = np.sqrt(np.maximum(norms[:, None] ** 2 + norms[None, :] ** 2 + 2 * gram, 0.0))
            loss = norms[:, None] + norms[None, :] - merged
            alive = np.unique(group)
            loss = loss[np.ix_(alive, alive)]
            loss[np.tril_indices(len(alive))] = np.inf
            a, b = np.unravel_index(np.argmin(loss), loss.shape)
            keep, gone = alive[a], alive[b]
            sums[keep] += sums[gone]
            group[group == gone] = keep
        merged_labels = np.unique(group, return_inverse=True)[1][labels]
        score = _silhouette(distances, merged_labels[sample])
        # >=: on a tie the fewer, broader themes win.
        if best is None or score >= best[0] - 1e-9:
            best = score, merged_labels
    assert best is not None
    score, merged_labels = best
    k = int(merged_labels.max()) + 1
    labels, centres = _kmeans(x64, k, _cluster_sums(x64, merged_labels, k) / np.bincount(merged_labels)[:, None])
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    if not np.array_equal(labels, merged_labels):
        score = _silhouette(distances, labels[sample])
    return labels, centres, score


def _kmeans(x: np.ndarray, k: int, init: str | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and centres of scikit-learn's k-means (Lloyd) from the given centres, or from k-means++ seeds (best of
    KMEANS_INITS runs) drawn from the fixed seed. tol=0: it stops when no entry changes cluster."""
    from sklearn.cluster import KMeans

    fitted = KMeans(k, init=init, n_init=KMEANS_INITS if isinstance(init, str) else 1, max_iter=KMEANS_ITERATIONS,
                    tol=0.0, random_state=SEED).fit(x)
    return fitted.labels_.astype(np.int64), fitted.cluster_centers_


def _cluster_sums(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    one_hot = np.zeros((k, len(x)), dtype=x.dtype)
    one_hot[labels, np.arange(len(x))] = 1.0
    return one_hot @ x


def _silhouette(distances: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette of the entries under their precomputed distances; 0 when they fall in a single cluster."""
    from sklearn.metrics import silhouette_score

    if len(np.unique(labels)) < 2:
        return 0.0
    return float(silhouette_score(distances, labels, metric="precomputed"))


def _distinctive_words(texts: list[str], labels: np.ndarray, k: int) -> list[list[str]]:
    """Per cluster, the words most distinctive of its texts against the other clusters': document frequency inside
    times the log-ratio of (smoothed) document frequencies inside and outside. Words of at most two letters, stop
    words and numbers never name a theme."""
    # Bytes: translating and splitting them is several times faster than a regex over str, and only the few chosen
    # keywords are ever decoded. Bytes from 128 up belong to non-ASCII letters and stay in their words.
    words_of = [set(_normalise(text).encode().translate(_WORD_BYTES).split()) - _STOP_BYTES for text in texts]
    every = list(chain.from_iterable(words_of))
    # Sorted: sets iterate in hash order, which changes between processes, and ties must not.
    vocabulary = {word: index for index, word in enumerate(sorted(set(every)))}
    word_ids = np.fromiter(map(vocabulary.__getitem__, every), np.int64, len(every))
    doc_ids = np.repeat(labels, np.fromiter(map(len, words_of), np.int64, len(words_of)))
    usable = np.fromiter((len(w) > 2 for w in vocabulary), bool, len(vocabulary))
    names = list(vocabulary)
    size = len(vocabulary)
    frequency = np.bincount(doc_ids * size + word_ids, minlength=k * size).reshape(k, size).astype(np.float64)
    cluster_sizes = np.bincount(labels, minlength=k).astype(np.float64)
    everywhere = frequency.sum(axis=0)
    keywords = []
    for cluster in range(k):
        inside = frequency[cluster]
        outside = everywhere - inside
        n_in, n_out = cluster_sizes[cluster], len(texts) - cluster_sizes[cluster]
        share_in = inside / max(n_in, 1.0)
        ratio = np.log((inside + 0.5) / (n_in + 1.0)) - np.log((outside + 0.5) / (n_out + 1.0))
        score = np.where(usable & (inside >= max(2.0, 0.1 * n_in)), share_in * ratio, -np.inf)
        top = np.argsort(-score, kind="stable")[:KEYWORDS_PER_THEME]
        keywords.append([names[i].decode(errors="replace") for i in top if score[i] > 0])
    return keywords


# --- predictive ----------------------------------------------------------------------------------------------------

def predictive(entries: Sequence[EntryFacts], *, tz: tzinfo, today: date) -> dict:
    """Risk factors of the last fortnight (falling sentiment, rising volatility, repeated sleep or stress complaints,
    crisis language) and a 7-day forecast. Each check says whether it was flagged, clear, or could not be assessed;
    `insufficient_data` is true when neither the trend nor the forecast could be computed."""
    table = _table(entries, tz)
    end = today.toordinal()
    recent = (table.day > end - RECENT_DAYS) & (table.day <= end)
    factors: list[dict] = []
    checks: dict[str, str] = {}

    trend, factor = _negative_trend(table, end)
    checks["negative_trend"] = _status(trend is not None, factor)
    factors += [factor] if factor else []
    volatility, factor = _volatility(table, end)
    checks["rising_volatility"] = _status(volatility is not None, factor)
    factors += [factor] if factor else []
    for code, title, pattern in (("sleep_complaints", "Repeated trouble sleeping", _SLEEP),
                                 ("stress_complaints", "Repeated stress", _STRESS)):
        factor = _complaints(table, recent, code, title, pattern)
        checks[code] = _status(bool(recent.any()), factor)
        factors += [factor] if factor else []
    crisis_window = (table.day > end - CRISIS_WINDOW_DAYS) & (table.day <= end)
    factor = _crisis(table, crisis_window)
    checks["crisis_language"] = _status(bool(crisis_window.any()), factor)
    factors += [factor] if factor else []
    forecast = _forecast(table, end)

    order = {"high": 0, "medium": 1, "low": 2}
    factors.sort(key=lambda f: (order[f["severity"]], f["code"]))
    return {
        "kind": "predictive",
        "as_of": today.isoformat(),
        "timezone": str(tz),
        "window_days": RECENT_DAYS,
        "insufficient_data": trend is None and forecast["insufficient_data"],
        "risk_factors": factors,
        "checks": checks,
        "trend": trend,
        "volatility": volatility,
        "forecast": forecast,
    }


def _status(assessed: bool, factor: dict | None) -> str:
    return "flagged" if factor else "clear" if assessed else "insufficient_data"


def _window(end: int, days: int) -> dict:
    return {"from": _iso(end - days + 1), "to": _iso(end)}


def _negative_trend(table: _Table, end: int) -> tuple[dict | None, dict | None]:
    """The least-squares slope of the daily mean score over the last RECENT_DAYS days, with its standard error,
    95% interval and one-sided p-value for a fall; a risk when the fall is significant and large enough."""
    in_window = (table.day > end - RECENT_DAYS) & (table.day <= end)
    days, means, _ = _daily(table.day[in_window], table.score[in_window])
    if len(days) < MIN_TREND_DAYS:
        return None, None
    fit = _fit((days - end).astype(np.float64), means)
    if fit is None:
        return None, None
    from scipy import stats

    half = _t_critical(0.95, fit.df) * fit.std_error
    p_falling = float(stats.t.cdf(fit.t, fit.df))  # one-sided: P(T <= t)
    change = fit.slope * (RECENT_DAYS - 1)
    trend = {
        "window": _window(end, RECENT_DAYS),
        "days": fit.n,
        "slope_per_day": _round(fit.slope, 5),
        "std_error": _round(fit.std_error, 5),
        "ci95": [_round(fit.slope - half, 5), _round(fit.slope + half, 5)],
        "t": _round(fit.t, 3) if math.isfinite(fit.t) else None,
        "df": fit.df,
        "p_value_falling": _round(p_falling, 5),
        "change_over_window": _round(change),
        "level_today": _round(float(fit.predict(np.array([0.0]))[0])),
    }
    if not (fit.slope < 0 and p_falling < TREND_P_VALUE and change <= -MIN_TREND_CHANGE):
        return trend, None
    severity = "high" if change <= -0.6 and p_falling < 0.01 else "medium" if change <= -0.3 else "low"
    evidence = dict(trend, entry_ids=_ids(table.ids[in_window & ~np.isnan(table.score)]))
    return trend, {"code": "negative_trend", "title": "Entries have been getting more negative",
                   "severity": severity, "evidence": evidence}


def _volatility(table: _Table, end: int) -> tuple[dict | None, dict | None]:
    """Swings of the daily mean score in the last RECENT_DAYS days against the RECENT_DAYS before: the residual
    standard deviations around each window's own least-squares line (so a steady fall, already a trend, is not
    also called volatile), compared by an F-test."""
    from scipy import stats

    fits = []
    for offset in (0, RECENT_DAYS):
        stop = end - offset
        in_window = (table.day > stop - RECENT_DAYS) & (table.day <= stop)
        days, means, _ = _daily(table.day[in_window], table.score[in_window])
        fit = _fit((days - stop).astype(np.float64), means) if len(days) >= MIN_VOLATILITY_DAYS else None
        if fit is None:
            return None, None
        fits.append((fit, in_window))
    (recent, recent_rows), (previous, _) = fits
    if previous.residual_std > 0:
        ratio = recent.residual_std / previous.residual_std
        p_value = float(stats.f.sf(ratio ** 2, recent.df, previous.df))
    else:
        ratio, p_value = (math.inf, 0.0) if recent.residual_std > 0 else (1.0, 1.0)
    volatility = {
        "recent_window": _window(end, RECENT_DAYS),
        "previous_window": _window(end - RECENT_DAYS, RECENT_DAYS),
        "recent_std": _round(recent.residual_std),
        "previous_std": _round(previous.residual_std),
        "ratio": _round(ratio, 3),
        "p_value": _round(p_value, 5),
        "recent_days": recent.n,
        "previous_days": previous.n,
    }
    if not (ratio >= MIN_VOLATILITY_RATIO and p_value < VOLATILITY_P_VALUE
            and recent.residual_std >= MIN_VOLATILITY_STD):
        return volatility, None
    severity = "medium" if ratio >= 2.5 and recent.residual_std >= 0.3 else "low"
    evidence = dict(volatility, entry_ids=_ids(table.ids[recent_rows & ~np.isnan(table.score)]))
    return volatility, {"code": "rising_volatility", "title": "Mood swings have grown", "severity": severity,
                        "evidence": evidence}


def _complaints(table: _Table, window: np.ndarray, code: str, title: str, pattern: re.Pattern[str]) -> dict | None:
    rows = [i for i in np.flatnonzero(window) if pattern.search(_normalise(table.entries[i].text))]
    days = len(set(table.day[rows].tolist()))
    if days < MIN_COMPLAINT_DAYS:
        return None
    severity = "high" if days >= 8 else "medium" if days >= 5 else "low"
    return {"code": code, "title": title, "severity": severity,
            "evidence": {"window_days": RECENT_DAYS, "entries": len(rows), "days": days,
                         "entry_ids": _ids(table.ids[rows])}}


def _crisis(table: _Table, window: np.ndarray) -> dict | None:
    categories: dict[str, list[int]] = {}
    rows = []
    for i in np.flatnonzero(window):
        found = crisis_language(table.entries[i].text)
        for category in found:
            categories.setdefault(category, []).append(int(table.ids[i]))
        if found:
            rows.append(i)
    if not rows:
        return None
    return {"code": "crisis_language", "title": "Words about self-harm or not wanting to live", "severity": "high",
            "evidence": {"window_days": CRISIS_WINDOW_DAYS, "entries": len(rows), "entry_ids": _ids(table.ids[rows]),
                         "categories": categories, "last_date": _iso(table.day[rows[-1]])}}


def _forecast(table: _Table, end: int) -> dict:
    """Daily values for the next FORECAST_DAYS days: the least-squares line through the daily means of the last
    FORECAST_HISTORY_DAYS days, with its 95% prediction interval (it widens with the horizon), clipped to the scale.
    Self-rated mood (1..10) when enough days have one, else the sentiment score (-1..1)."""
    in_window = (table.day > end - FORECAST_HISTORY_DAYS) & (table.day <= end)
    series = {name: _daily(table.day[in_window], values[in_window])
              for name, values in (("mood", table.mood), ("sentiment", table.score))}
    mood_days, sentiment_days = len(series["mood"][0]), len(series["sentiment"][0])
    # Self-rated mood is what the user means by mood: it wins whenever there is enough of it to fit.
    if mood_days >= MIN_FORECAST_DAYS or (sentiment_days < MIN_FORECAST_DAYS and mood_days > 0):
        scale, bounds = "mood", (1.0, 10.0)
    else:
        scale, bounds = "sentiment", (-1.0, 1.0)
    days, means, _ = series[scale]
    result: dict = {"scale": scale, "range": list(bounds), "method": "linear_trend", "interval": FORECAST_LEVEL,
                    "history_days": FORECAST_HISTORY_DAYS, "days_used": int(len(days)), "insufficient_data": True,
                    "points": []}
    fit = _fit((days - end).astype(np.float64), means) if len(days) >= MIN_FORECAST_DAYS else None
    if fit is None:
        return result
    horizon = np.arange(1, FORECAST_DAYS + 1, dtype=np.float64)
    predicted = fit.predict(horizon)
    half = fit.prediction_half_width(horizon, FORECAST_LEVEL)
    low, high = np.clip(predicted - half, *bounds), np.clip(predicted + half, *bounds)
    result["insufficient_data"] = False
    result["points"] = [{"date": _iso(end + h), "predicted": _round(float(np.clip(p, *bounds)), 3),
                         "low": _round(lo, 3), "high": _round(hi, 3)}
                        for h, p, lo, hi in zip(range(1, FORECAST_DAYS + 1), predicted.tolist(), low.tolist(),
                                                high.tolist(), strict=True)]
    return result


# --- reflective profile --------------------------------------------------------------------------------------------

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

    for name, pattern in (("Trouble sleeping", _SLEEP), ("Stress or feeling overwhelmed", _STRESS)):
        ids = [e.id for e in ordered if pattern.search(_normalise(e.text))]
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
    for name, pattern in _COPING:
        ids = [e.id for e in ordered if pattern.search(_normalise(e.text))]
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
