"""Retrieval quality: recall@5 of vector-only, full-text-only and hybrid retrieval on a shipped collection.

The collection (bench/retrieval_collection/, CC0: see its LICENSE.md) is twelve short health leaflets written
for this benchmark, with 51 questions in questions.tsv, each naming its leaflet and a phrase of the passage
that answers it. The leaflets are indexed as a user's uploads are (assistant.indexing.document_index: the
chunker, the packaged all-MiniLM-L6-v2, the chunk table), for a user of their own, and each question is asked
through assistant.retrieval.passages_rank with its MiniLM query vector. A question counts as found by a
ranking when one of its first 5 passages is from the right leaflet and holds the phrase. The vector-only and
full-text-only rankings are the two that the fusion takes in (a passage's vector_rank and text_rank).

Baseline, in the same run: the better of vector-only and full-text-only. ratio = hybrid recall / the better
one's; target: hybrid >= 0.9 and >= each alone.
Runs itself under meditrack.embedded (var/bench): it needs nothing running beforehand.
"""

import csv
import os
from pathlib import Path

from stack import run_with_services

COLLECTION = Path(__file__).resolve().parent / "retrieval_collection"
K = 5
TARGET = 0.9
EMAIL = "bench-retrieval-quality@example.com"


def index_collection():
    from assistant import indexing
    from assistant.models import Document
    from meditrack.accounts.models import User

    user, _ = User.objects.get_or_create(email=EMAIL, defaults={"display_name": "Bench quality"})
    Document.objects.filter(owner=user).delete()
    for path in sorted(COLLECTION.glob("*.md")):
        if path.name == "LICENSE.md":
            continue
        text = path.read_text()
        document = Document.objects.create(owner=user, title=path.name, filename=path.name,
                                           media_type="text/markdown", size_bytes=len(text), upload=text.encode())
        indexing.document_index(document_id=document.pk)
    return user, dict(Document.objects.filter(owner=user).values_list("pk", "title"))


def measure():
    from assistant.models import Chunk
    from assistant.retrieval import passages_rank
    from meditrack.inference import services as inference

    user, titles = index_collection()
    with open(COLLECTION / "questions.tsv", newline="") as f:
        questions = list(csv.DictReader(f, delimiter="\t"))
    _, vectors = inference.text_embed(tier=user.tier, texts=[q["question"] for q in questions])
    found = {"vector": 0, "text": 0, "hybrid": 0}
    first = dict.fromkeys(found, 0)
    missed = []
    for question, vector in zip(questions, vectors, strict=True):
        # Deep enough that both rankings' first K are all among the fused results (see the module's docstring).
        passages = passages_rank(user_id=user.pk, query=question["question"], vector=vector, k=50)

        def hit(ranked, depth=K, question=question):
            return any(titles[p.source_id] == question["document"] and question["passage contains"] in p.text
                       for p in ranked[:depth])

        rankings = {"vector": sorted((p for p in passages if p.vector_rank), key=lambda p: p.vector_rank),
                    "text": sorted((p for p in passages if p.text_rank), key=lambda p: p.text_rank),
                    "hybrid": passages}
        for name, ranked in rankings.items():
            found[name] += hit(ranked)
            first[name] += hit(ranked, depth=1)
        if not hit(passages):
            missed.append(question["question"])
    n = len(questions)
    recall = {name: count / n for name, count in found.items()}
    best_alone = max(recall["vector"], recall["text"])
    print(f"{len(titles)} leaflets, {Chunk.objects.filter(owner=user).count()} chunks, {n} questions")
    print(f"recall@{K}: vector-only {recall['vector']:.3f}, full-text-only {recall['text']:.3f}, "
          f"hybrid {recall['hybrid']:.3f}")
    print(f"recall@1 (stricter, for information): vector-only {first['vector'] / n:.3f}, "
          f"full-text-only {first['text'] / n:.3f}, hybrid {first['hybrid'] / n:.3f}")
    for question in missed:
        print(f"  hybrid missed: {question}")
    print(f"hybrid_recall_at_5={recall['hybrid']:.3f} vector_recall_at_5={recall['vector']:.3f} "
          f"text_recall_at_5={recall['text']:.3f} baseline_best_alone={best_alone:.3f} "
          f"ratio={recall['hybrid'] / best_alone:.3f} target=hybrid>={TARGET}_and>=each")


if __name__ == "__main__":
    run_with_services(os.path.abspath(__file__), measure)
