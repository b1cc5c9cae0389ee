"""The comprehensive insight: descriptive facts about a whole journal (see comprehensive()).

A day's sentiment is the mean score of its analysed entries, so a day with many entries does not outweigh a day with
one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, tzinfo

import numpy as np
from threadpoolctl import ThreadpoolController

from journal.insights.entries import EntryFacts, EntryTable, entry_table, id_list, iso_date
from journal.insights.statistics import daily_means, mean_or_none, rolling_mean, rounded
from journal.insights.themes import themes

ROLLING_DAYS = 7
MIN_WEEK_ENTRIES = 2
LABELS = ("negative", "neutral", "positive")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Hours at which each part of the day starts; night runs from 22:00 to 05:00.
TIME_OF_DAY = (("night", 0), ("morning", 5), ("afternoon", 12), ("evening", 17), ("night", 22))
# The bytes that separate words, for counting them.
_SPACE_BYTES = np.zeros(256, dtype=bool)
_SPACE_BYTES[list(b" \t\n\r\x0b\x0c")] = True


def comprehensive(entries: Sequence[EntryFacts], *, tz: tzinfo, today: date) -> dict:
    """Descriptive facts about a whole journal: counts and period, daily sentiment with its rolling mean, labels,
    emotions, themes, writing patterns, best and worst weeks, daily mood. Entries may come in any order."""
    with _one_thread():
        return _comprehensive(entry_table(entries, tz), today, tz)


def _comprehensive(table: EntryTable, today: date, tz: tzinfo) -> dict:
    analysed = ~np.isnan(table.score)
    return {
        "kind": "comprehensive",
        "as_of": today.isoformat(),
        "timezone": str(tz),
        "entry_count": len(table.entries),
        "analysed_count": int(analysed.sum()),
        "period": None if not len(table.entries) else {
            "first": iso_date(table.day[0]), "last": iso_date(table.day[-1]),
            "days": int(table.day[-1] - table.day[0] + 1),
        },
        "sentiment": _sentiment_series(table),
        "labels": _label_distribution(table),
        "top_emotions": _top_emotions(table),
        "themes": themes(table),
        "patterns": _patterns(table),
        "weeks": _weeks(table),
        "mood": _mood_series(table),
    }


def _sentiment_series(table: EntryTable) -> dict:
    days, means, counts = daily_means(table.day, table.score)
    rolling = rolling_mean(days, means, ROLLING_DAYS)
    return {
        "mean_score": rounded(mean_or_none(table.score)),
        "rolling_window_days": ROLLING_DAYS,
        "daily": [{"date": iso_date(d), "mean_score": rounded(m), "entries": int(c), "rolling_mean": rounded(r)}
                  for d, m, c, r in zip(days.tolist(), means.tolist(), counts.tolist(), rolling.tolist(), strict=True)],
    }


def _mood_series(table: EntryTable) -> dict | None:
    days, means, counts = daily_means(table.day, table.mood)
    if not len(days):
        return None
    return {
        "mean_mood": rounded(mean_or_none(table.mood), 2),
        "rated_entries": int(counts.sum()),
        "daily": [{"date": iso_date(d), "mean_mood": rounded(m, 2), "entries": int(c)}
                  for d, m, c in zip(days.tolist(), means.tolist(), counts.tolist(), strict=True)],
    }


def _label_distribution(table: EntryTable) -> dict:
    counts = dict.fromkeys(LABELS, 0)
    for entry in table.entries:
        if entry.label in counts:
            counts[entry.label] += 1
    total = sum(counts.values())
    return {"counts": counts, "shares": {k: rounded(v / total if total else None, 3) for k, v in counts.items()}}


def _top_emotions(table: EntryTable, top: int = 6) -> list[dict]:
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
    return [{"label": label, "mean_score": rounded(total / with_emotions), "entries": int(listed),
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


def _patterns(table: EntryTable) -> dict:
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
                       "mean_score": rounded(row["sum"] / row["scored"] if row["scored"] else None)}
                for name, row in result.items()}

    time_of_day = grouped(bucket, bucket_names)
    return {
        "time_of_day": {name: time_of_day[name] for name in ("morning", "afternoon", "evening", "night")},
        "weekday": grouped(weekday, WEEKDAYS),
        "length_words": None if not len(words) else {
            "mean": rounded(words.mean(), 1), "median": rounded(float(np.median(words)), 1),
            "min": int(words.min()), "max": int(words.max()), "total": int(words.sum()),
        },
    }


def _weeks(table: EntryTable) -> dict:
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
        return {"week": f"{year}-W{number:02d}", "start": start.isoformat(), "mean_score": rounded(means[index]),
                "entries": int(counts[index]), "entry_ids": id_list(ids[inverse == index])}

    result["best"] = week(int(eligible[np.argmax(means[eligible])]))
    result["worst"] = week(int(eligible[np.argmin(means[eligible])]))
    return result


_threadpools: ThreadpoolController | None = None


def _one_thread():
    """A context in which numpy's BLAS and scikit-learn's OpenMP loops run on one thread. The matrices here are small
    (entries x 384): a second thread gains nothing, and while the other cores are busy (other worker processes) the
    threads wait on each other, which made comprehensive() several times slower on a busy machine."""
    global _threadpools
    if _threadpools is None:
        import sklearn.cluster  # noqa: F401  (loads its OpenMP runtime, which the controller must see)

        _threadpools = ThreadpoolController()  # scans the loaded libraries: once per process
    return _threadpools.limit(limits=1)

