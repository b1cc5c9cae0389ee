"""meditrack.inference.analyser on the packaged all-MiniLM-L6-v2 and the shipped weights: what a journal relies on.
Nothing is downloaded; the model loads once for the whole file."""

import pytest

from meditrack.inference import analyser as sentiment
from meditrack.inference.backends import local
from meditrack.inference.backends.builtin import ANALYSER, BuiltinBackend
from meditrack.inference.chunking import chunk_text
from meditrack.inference.types import BackendName, ModelSpec, Task

POSITIVE = [
    "Had a wonderful day at the beach with the kids, I feel great.",
    "The new medication is working and I finally slept well. So relieved!",
]
NEGATIVE = [
    "The pain was unbearable today and I feel miserable.",
    "I'm exhausted and hopeless, nothing the doctors try is helping.",
]
NEUTRAL = [
    "The appointment with Dr. Lee is on Thursday at 10.",
    "I picked up the prescription at the pharmacy.",
]
# A neutral errand of about 40 tokens: seven of them fill the model's 254-token window on their own.
ERRAND = ("In the morning I walked to the shop on Main Street, bought bread, milk and apples, chatted with the cashier "
          "about the weather, walked back home along the river and put the shopping away in the kitchen cupboard. ")
BAD_NEWS = ("Then the call came: the biopsy is malignant. I am devastated, terrified and heartbroken. "
            "This is the worst news of my life. I cannot stop crying and I feel completely hopeless. "
            "Everything hurts, I am scared of dying and I cannot bear the thought of the pain ahead. ")


@pytest.fixture
def encode_calls(monkeypatch):
    """The number of texts of each call to the real model's encode, as it happens."""
    model = sentiment.embedding_model()
    encode = model.encode
    calls = []

    def counting(texts, *args, **kwargs):
        calls.append(len(texts))
        return encode(texts, *args, **kwargs)

    monkeypatch.setattr(model, "encode", counting)
    return calls


def test_it_labels_clearly_positive_negative_and_neutral_entries():
    results = sentiment.analyze_sentiment(POSITIVE + NEGATIVE + NEUTRAL)

    labels = [result["label"] for result in results]
    assert labels == ["positive"] * 2 + ["negative"] * 2 + ["neutral"] * 2
    scores = [result["score"] for result in results]
    assert min(scores[:2]) > 0.2 and max(scores[2:4]) < -0.2 and all(abs(s) < 0.1 for s in scores[4:])


def test_it_gives_three_probabilities_that_sum_to_one_and_a_score_in_range():
    for result in sentiment.analyze_sentiment(POSITIVE + NEGATIVE + NEUTRAL + ["", "ok"]):
        assert set(result["scores"]) == {"negative", "neutral", "positive"}
        assert all(0 <= p <= 1 for p in result["scores"].values())
        assert sum(result["scores"].values()) == pytest.approx(1.0, abs=1e-9)
        assert result["label"] == max(result["scores"], key=result["scores"].get)
        assert -1 <= result["score"] <= 1


def test_it_embeds_a_batch_in_one_call(encode_calls):
    texts = POSITIVE + NEGATIVE + NEUTRAL

    assert len(sentiment.analyze_sentiment(texts)) == len(texts)
    assert len(sentiment.analyze_emotions(texts)) == len(texts)
    assert len(sentiment.analyze(texts)) == len(texts)

    assert encode_calls == [len(texts)] * 3


def test_it_embeds_with_the_local_backends_minilm_one_copy_within_the_memory_budget():
    sentiment.analyze_sentiment(POSITIVE)
    held = local.loaded_models()
    assert [kind for kind, _, _ in held].count("sentence-transformer") == 1

    embedding = ModelSpec(slug="embedding", task=Task.EMBEDDING, backend=BackendName.LOCAL,
                          model_id="pkg:all-minilm-l6-v2")
    local.LocalBackend().embed(embedding, POSITIVE)

    assert local.loaded_models() == held


def test_sentiment_and_emotion_of_a_batch_share_one_embedding_pass_in_either_order(encode_calls):
    def classify(task, texts):
        spec = ModelSpec(slug=f"analyser-{task}", task=task, backend=BackendName.BUILTIN, model_id=ANALYSER)
        return BuiltinBackend().classify(spec, texts)

    def scores(rows, approx=False):
        return [[(label.label, pytest.approx(label.score, abs=1e-6) if approx else label.score) for label in row]
                for row in rows]

    one_batch = ["My knee hurts when I climb the stairs.", "Lunch with Sam cheered me up."]
    other_batch = one_batch[::-1]

    sentiment_first = classify(Task.SENTIMENT, one_batch)
    emotion_first = classify(Task.EMOTION, other_batch)  # another batch comes between a batch's two calls
    emotion_second = classify(Task.EMOTION, one_batch)
    sentiment_second = classify(Task.SENTIMENT, other_batch)

    assert encode_calls == [2, 2]  # one pass per batch
    assert scores(sentiment_first) == scores(sentiment_second[::-1], approx=True)
    assert scores(emotion_second) == scores(emotion_first[::-1], approx=True)


def test_it_chunks_a_long_entry_and_every_chunk_counts(encode_calls):
    encoder = sentiment.encoder()
    text = ERRAND * 7 + BAD_NEWS * 2
    # What a model that truncates would read: the errands only.
    window = chunk_text(text, encoder.count_tokens, encoder.max_tokens)[0]
    assert "biopsy" not in window

    chunks = chunk_text(text, encoder.count_tokens, encoder.max_tokens, encoder.chunk_tokens)
    whole, = sentiment.analyze_sentiment([text])
    truncated, = sentiment.analyze_sentiment([window])

    assert encode_calls[0] == len(chunks) > 1
    assert all(encoder.count_tokens(chunk) <= encoder.max_tokens for chunk in chunks)
    assert truncated["label"] != "negative"
    assert whole["label"] == "negative" and whole["score"] < truncated["score"] - 0.1


def test_it_splits_text_at_sentences_then_words_and_drops_nothing():
    def count_words(text):
        return len(text.split())

    text = "One two three four five six seven eight nine ten eleven!\nTwelve.  " + "x" * 40

    chunks = chunk_text(text, count_words, 4)

    assert all(count_words(chunk) <= 4 for chunk in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())
    assert chunk_text("One two. Three four. Five six seven.", count_words, 4) == [
        "One two. Three four.", "Five six seven."]
    assert chunk_text("short one", count_words, 4) == ["short one"]
    assert chunk_text(" \n ", count_words, 4) == []


def test_it_halves_a_run_of_characters_too_long_for_the_model():
    def count_tokens(text):
        return (len(text) + 2) // 3  # about three characters a token, as WordPiece gives for gibberish

    chunks = chunk_text("a" * 100, count_tokens, 8)

    assert all(count_tokens(chunk) <= 8 for chunk in chunks)
    assert "".join("".join(chunks).split()) == "a" * 100


def test_it_returns_the_top_emotions_sorted_with_scores_in_range():
    for top in (1, 3, 5):
        for emotions in sentiment.analyze_emotions(POSITIVE + NEGATIVE + NEUTRAL, top=top):
            scores = [score for _, score in emotions]
            assert len(emotions) == top
            assert len({label for label, _ in emotions}) == top
            assert scores == sorted(scores, reverse=True)
            assert all(0 < score <= 1 for score in scores)


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm terrified about the surgery tomorrow", {"fear"}),
    ("I'm so grateful for my sister's help", {"joy", "love", "gratitude"}),
    ("I'm furious that the pharmacy lost my prescription again", {"anger"}),
    ("I feel so lonely and sad since the funeral", {"sadness"}),
])
def test_it_finds_the_obvious_emotion(text, expected):
    emotions, = sentiment.analyze_emotions([text], top=3)

    assert expected & {label for label, _ in emotions}


def test_it_treats_a_blank_entry_as_neutral_without_emotions():
    result, = sentiment.analyze([" \n"])

    assert result["sentiment"]["label"] == "neutral" and result["sentiment"]["score"] == 0
    assert result["emotions"] == []
