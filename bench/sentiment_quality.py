"""Quality of the offline sentiment analyser (meditrack.inference.analyser) against human judgement, vs VADER.

Pearson r between each analyser's continuous score and the mean human rating of the NYT editorial,
Amazon review and movie review snippets of Hutto & Gilbert (ICWSM 2014): sets the analyser was not
trained on (bench/train_sentiment.py trains on the tweets and VADER's lexicon words only). VADER's
compound score on the same texts, in the same run, is the baseline; ratio is the smallest of ours/VADER's
over the three sets. NYT and Amazon are scored whole; the movie snippets are a fixed random sample of
BENCH_MOVIES (default 2,000 of 10,605, seed 0) to stay within five minutes on two busy cores; BENCH_MOVIES=all
scores every one.

Run: .venv/bin/python bench/sentiment_quality.py
"""

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT = ("nyt", "amazon", "movies")
MOVIES = os.environ.get("BENCH_MOVIES", "2000")
SEED = 0
TARGET = 1.0


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    from train_sentiment import load_set

    from meditrack.inference import analyser as sentiment

    started = time.perf_counter()
    sentiment.encoder(), sentiment.weights()
    print(f"loaded the model and weights in {time.perf_counter() - started:.1f} s")
    results = {}
    for name in HELD_OUT:
        _, texts, human = load_set(name)
        total = len(texts)
        if name == "movies" and MOVIES != "all" and int(MOVIES) < total:
            keep = np.sort(np.random.default_rng(SEED).choice(total, int(MOVIES), replace=False))
            texts, human = [texts[i] for i in keep], human[keep]
        began = time.perf_counter()
        ours = np.array([result["score"] for result in sentiment.analyze_sentiment(texts)])
        seconds = time.perf_counter() - began
        vader = sentiment.encoder().compound(texts)
        results[name] = (np.corrcoef(ours, human)[0, 1], np.corrcoef(vader, human)[0, 1])
        print(f"{name}: n={len(texts)} of {total}  ours r={results[name][0]:.3f}  vader r={results[name][1]:.3f}  "
              f"ratio={results[name][0] / results[name][1]:.3f}  ({len(texts) / seconds:.0f} texts/s)", flush=True)
    ratio = min(ours / vader for ours, vader in results.values())
    print(f"total {time.perf_counter() - started:.0f} s")
    print(" ".join(f"{name}_r={ours:.3f} vader_{name}_r={vader:.3f}" for name, (ours, vader) in results.items())
          + f" ratio={ratio:.3f} target={TARGET}")


if __name__ == "__main__":
    main()
