"""text_classify: the offline analyser serves every tier out of the box, and a text longer than a model's
window is read whole, in parts, in the same one call."""

import pytest

from meditrack.inference.services import text_classify
from meditrack.inference.types import Task
from meditrack.testing.factories import model, serve, tier

pytestmark = pytest.mark.django_db

HAPPY = "Had a wonderful day with my family, I feel so happy and grateful."
AWFUL = "The pain was unbearable and I feel miserable and hopeless."


def test_it_serves_sentiment_offline_in_every_tier_by_default():
    for name in ("standard", "high", "enterprise"):
        slug, rows = text_classify(tier=name, task=Task.SENTIMENT, texts=[HAPPY, AWFUL])
        assert slug == "meditrack-sentiment"
        assert [row[0].label for row in rows] == ["positive", "negative"]
        assert all(abs(sum(label.score for label in row) - 1) < 1e-6 for row in rows)


def test_it_serves_every_emotion_with_scores_best_first():
    slug, rows = text_classify(tier="standard", task=Task.EMOTION, texts=[HAPPY])
    assert slug == "meditrack-emotion"
    labels = [label.label for label in rows[0]]
    assert labels[0] in {"joy", "gratitude", "love"}
    assert {"sadness", "fear", "anger", "neutral"} <= set(labels)
    assert [label.score for label in rows[0]] == sorted((label.score for label in rows[0]), reverse=True)


def test_it_splits_a_text_longer_than_the_window_into_one_call_and_averages_the_parts(model_server):
    model_server.register("org/sentiment", task="text-classification", labels=("negative", "neutral", "positive"))
    hosted = model("hosted-sentiment", task="sentiment", backend="hf_inference", base_url=model_server.base_url,
                   model_id="org/sentiment", context_window=18)
    serve(tier(), hosted)
    words = [f"word{i}" for i in range(120)]
    long_text = " ".join(words)

    slug, rows = text_classify(tier="standard", task=Task.SENTIMENT, texts=[long_text, "short"])

    assert slug == "hosted-sentiment"
    assert model_server.count("/models/org/sentiment") == 1
    sent = model_server.requests[-1].json["inputs"]
    assert len(sent) > 2 and sent[-1] == "short"
    assert " ".join(sent[:-1]).split() == words  # every word read, in order, none cut
    assert len(rows) == 2
    assert abs(sum(label.score for label in rows[0]) - 1) < 1e-6


def test_it_maps_a_checkpoints_numbered_labels_to_their_meaning(model_server):
    model_server.register("org/cardiff", task="text-classification", labels=("LABEL_0", "LABEL_1", "LABEL_2"))
    hosted = model("cardiff", task="sentiment", backend="hf_inference", base_url=model_server.base_url,
                   model_id="org/cardiff",
                   parameters={"label_map": {"LABEL_0": "negative", "LABEL_1": "neutral", "LABEL_2": "positive"}})
    serve(tier(), hosted)

    _, rows = text_classify(tier="standard", task=Task.SENTIMENT, texts=["anything"])

    assert {label.label for label in rows[0]} == {"negative", "neutral", "positive"}


def test_the_hosted_sentiment_model_is_registered_with_its_label_map():
    from meditrack.inference.models import AIModel

    assert AIModel.objects.get(model_id="cardiffnlp/twitter-roberta-base-sentiment-latest").parameters[
        "label_map"]["LABEL_0"] == "negative"
