"""Speed of the journal insights (journal.insights): comprehensive() + predictive() over a synthetic journal.

build_entries(n) makes n entries spread over about 18 months, in a fixed random order, each with a 384-dimension
unit embedding near one of five topic centres, a text of that topic's words, a sentiment score that drifts
slowly and falls over the last weeks, emotions, and a self-rated mood on most entries. The measured figure is the
median wall time of comprehensive + predictive over RUNS runs. The in-run baseline is a straightforward pure-Python
version of only the daily aggregation, 7-day rolling mean and 14-day least-squares slope (loops over rows), as code
without numpy would do it: the whole of the insights should cost no more than a few times that part alone.

It then serves the comprehensive insight as the API does, against the embedded PostgreSQL and Redis: computed
by the service from the journal's rows (what the worker does: one query, the computation, the cache write), and
from the cache (what GET journal/insights/comprehensive costs once it is there). Targets: 200 ms computed, 5 ms
from the cache.

Run: .venv/bin/python bench/insights.py   (BENCH_ENTRIES=1000 by default)
"""

import os
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from stack import run_with_services  # noqa: E402

from journal.insights.comprehensive import comprehensive  # noqa: E402
from journal.insights.entries import EntryFacts  # noqa: E402
from journal.insights.predictive import predictive  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_ENTRIES", "1000"))
RUNS = 7
TARGET_MS = 200
TARGET_CACHED_MS = 5
DIMENSIONS = 384
SPAN_DAYS = 548
SEED = 0
TZ = ZoneInfo("Europe/London")
TODAY = date(2025, 6, 30)
TOPICS = {
    "work": ("deadline meeting boss office project email colleague presentation report manager overtime client "
             "commute desk"),
    "family": "kids dinner sister mum dad birthday visit cousins grandma weekend house kitchen board games",
    "health": "doctor appointment pain medication headache clinic prescription nurse symptoms dose back knee scan",
    "outdoors": "walk park garden sunshine river trees dog flowers hike fresh air bike lake",
    "sleep": "insomnia awake night tired bed alarm nightmares restless pillow dark exhausted couldn't sleep",
}
FILLER = "today i felt like the and then it was a bit really just so we went there again after that".split()
EMOTIONS = ("joy", "calm", "gratitude", "hope", "sadness", "fear", "anger", "neutral")


def build_entries(n: int = ENTRIES, *, seed: int = SEED, today: date = TODAY) -> list[EntryFacts]:
    """n synthetic entries over the SPAN_DAYS days up to today, shuffled (callers must not rely on the order)."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    centres = rng.standard_normal((len(names), DIMENSIONS))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    mood_bias = {"work": -0.25, "family": 0.3, "health": -0.3, "outdoors": 0.4, "sleep": -0.35}
    end = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
    offsets = np.sort(rng.uniform(0, SPAN_DAYS * 86400, n))[::-1]
    entries = []
    for index in range(n):
        topic = int(rng.integers(len(names)))
        name = names[topic]
        written_at = end - timedelta(seconds=float(offsets[index]))
        days_ago = (end - written_at).days
        vector = centres[topic] + rng.standard_normal(DIMENSIONS) * 0.06
        vector = (vector / np.linalg.norm(vector)).astype(np.float32)
        words = TOPICS[name].split()
        length = int(rng.integers(30, 160))
        text = " ".join(rng.choice(words) if rng.random() < 0.35 else rng.choice(FILLER) for _ in range(length))
        drift = 0.15 * np.sin(days_ago / 40.0) - (0.03 * (21 - days_ago) if days_ago < 21 else 0.0)
        score = float(np.clip(mood_bias[name] + drift + rng.normal(0, 0.25), -1, 1))
        label = "negative" if score < -0.09 else "positive" if score > 0.09 else "neutral"
        top = rng.choice(len(EMOTIONS), 3, replace=False)
        probabilities = np.sort(rng.dirichlet(np.ones(3)))[::-1]
        mood = int(np.clip(round(5.5 + 4 * score + rng.normal(0, 1)), 1, 10)) if rng.random() < 0.7 else None
        entries.append(EntryFacts(
            id=index + 1, written_at=written_at, text=text, mood=mood, score=score, label=label,
            emotions=[(EMOTIONS[i], float(p)) for i, p in zip(top, probabilities, strict=True)], embedding=vector))
    order = rng.permutation(n)
    return [entries[i] for i in order]


def baseline(entries: list[EntryFacts], *, tz, today: date) -> dict:
    """Daily mean score, its 7-day rolling mean and the 14-day slope, one row at a time in plain Python."""
    sums: dict[date, float] = {}
    counts: dict[date, int] = {}
    for entry in entries:
        if entry.score is None:
            continue
        day = entry.written_at.astimezone(tz).date()
        sums[day] = sums.get(day, 0.0) + entry.score
        counts[day] = counts.get(day, 0) + 1
    days = sorted(sums)
    means = [sums[d] / counts[d] for d in days]
    rolling = []
    for i, day in enumerate(days):
        window = [means[j] for j in range(i, -1, -1) if (day - days[j]).days < 7]
        rolling.append(sum(window) / len(window))
    xs, ys = [], []
    for day, mean in zip(days, means, strict=True):
        offset = (day - today).days
        if -14 < offset <= 0:
            xs.append(float(offset))
            ys.append(mean)
    slope = None
    if len(xs) >= 3:
        x_mean, y_mean = sum(xs) / len(xs), sum(ys) / len(ys)
        sxx = sum((x - x_mean) ** 2 for x in xs)
        slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else None
    return {"days": days, "means": means, "rolling": rolling, "slope": slope}


def timed(function, runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of function() over runs runs, after one warm-up. CPU time suffers less
    than wall time when other processes share the cores."""
    function()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - started) * 1000.0)
        cpu.append((time.process_time() - started_cpu) * 1000.0)
    return statistics.median(wall), statistics.median(cpu)


def served(entries: list[EntryFacts]) -> tuple[float, float]:
    """Median ms of the comprehensive insight computed by the service from the database, and served from the cache."""
    from journal import selectors, services
    from journal.models import EntryAnalysis, JournalEntry
    from meditrack.accounts.models import User

    user, _ = User.objects.get_or_create(email="bench-insights@example.com")
    JournalEntry.objects.filter(owner=user).delete()
    rows = JournalEntry.objects.bulk_create([JournalEntry(owner=user, text=e.text, written_at=e.written_at, mood=e.mood)
                                             for e in entries])
    EntryAnalysis.objects.bulk_create([
        EntryAnalysis(entry=row, status="done", score=e.score, sentiment_label=e.label, embedding=e.embedding,
                      emotions=[{"label": label, "score": score} for label, score in e.emotions])
        for row, e in zip(rows, entries, strict=True)])
    try:
        def compute():
            services.insight_cache_invalidate(owner_id=user.pk)
            services.insight_compute(user_id=user.pk, kind="comprehensive")

        computed_ms, _ = timed(compute, RUNS)
        assert selectors.insight_get(user=user, kind="comprehensive")["entry_count"] == len(entries)
        cached_ms, _ = timed(lambda: selectors.insight_get(user=user, kind="comprehensive"), 100)
    finally:
        JournalEntry.objects.filter(owner=user).delete()
    return computed_ms, cached_ms


def main() -> None:
    started = time.perf_counter()
    entries = build_entries(ENTRIES)
    print(f"built {len(entries)} entries in {time.perf_counter() - started:.1f} s")
    facts = comprehensive(entries, tz=TZ, today=TODAY)
    risks = predictive(entries, tz=TZ, today=TODAY)
    themes = facts["themes"]
    print(f"themes: k={themes['k']} silhouette={themes['silhouette']} "
          + "; ".join(" ".join(theme["keywords"][:3]) for theme in themes["items"]))
    print("risks: " + ", ".join(f"{f['code']}({f['severity']})" for f in risks["risk_factors"]))
    comprehensive_ms, _ = timed(lambda: comprehensive(entries, tz=TZ, today=TODAY), RUNS)
    predictive_ms, _ = timed(lambda: predictive(entries, tz=TZ, today=TODAY), RUNS)
    computed_ms, computed_cpu_ms = timed(
        lambda: (comprehensive(entries, tz=TZ, today=TODAY), predictive(entries, tz=TZ, today=TODAY)), RUNS)
    baseline_ms, baseline_cpu_ms = timed(lambda: baseline(entries, tz=TZ, today=TODAY), RUNS)
    print(f"comprehensive {comprehensive_ms:.1f} ms, predictive {predictive_ms:.1f} ms (medians of {RUNS}); "
          f"both: {computed_cpu_ms:.1f} ms of CPU, baseline {baseline_cpu_ms:.1f} ms of CPU; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    served_ms, cached_ms = served(entries)
    print(f"served by the service: computed from the database {served_ms:.1f} ms, from the cache {cached_ms:.2f} ms")
    print(f"computed_ms={computed_ms:.1f} served_computed_ms={served_ms:.1f} cached_ms={cached_ms:.2f} "
          f"baseline_ms={baseline_ms:.1f} ratio={computed_ms / baseline_ms:.2f} target_ms={TARGET_MS} "
          f"target_cached_ms={TARGET_CACHED_MS}")


if __name__ == "__main__":
    run_with_services(__file__, main)
