"""Offline sentiment and emotion analysis (the builtin `meditrack-analyser`): all-MiniLM-L6-v2 + VADER.

Imports nothing from Django, so it is testable and benchmarkable alone. The learned numbers live in
`analyser_weights.npz` beside this file, written by `bench/train_sentiment.py`; `bench/sentiment_quality.py`
measures the result against human ratings (Hutto & Gilbert, ICWSM 2014).

Sentiment. Three components, each predicting the mean human rating of a text on the -4..+4 scale:
a ridge model over the MiniLM sentence embedding trained on the 4,200 rated tweets, a ridge model over
the same embedding trained on the 7,520 rated words of VADER's lexicon, and VADER's compound score.
They are averaged with equal weights after scaling each to unit spread on the tweets (the blend is not
fitted: the tweets are VADER's own tuning set, where it looks better than it is elsewhere), then mapped
back onto the rating scale by least squares on the tweets. All of it folds into one linear function of
(embedding, compound). `score` is that predicted mean rating / 4, clipped to -1..1.

Three classes. The probabilities are the expected shares of human raters who would rate the text below
zero, at zero or above zero: an ordinal logit in `score`, P(negative) = sigmoid(k * (t1 - score)) and
P(negative) + P(neutral) = sigmoid(k * (t2 - score)), fitted to the 140,663 raw votes of the tweets' raters
on out-of-fold predictions, so its confidence is that of unseen text. `label` is the most probable class;
the fit makes it neutral for |score| <= 0.09 (a predicted mean rating within +-0.36 of zero), where fewer
than half the raters would vote neutral anyway: a single rater's vote is noisy.

Emotions. Zero-shot: the cosine similarity of the embedding to each emotion's prototype (the normalised
mean embedding of the short descriptions in EMOTION_PROTOTYPES), softmaxed with a temperature fitted by
maximum likelihood on hand-written calibration sentences (bench/train_sentiment.py). No labelled emotion
data exists offline to measure it; the tests check obvious cases.

Long texts are split into chunks (chunk_text, see CHUNK_TOKENS) that are scored one by one; the text's
result is the token-count-weighted mean of its chunks', so nothing past the model's limit is dropped.
A blank text is neutral (score 0) and has no emotions.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np

from meditrack.inference.backends.local import sentence_transformer
from meditrack.inference.chunking import chunk_text
from meditrack.inference.types import BackendName, ModelSpec, Task

WEIGHTS_PATH = Path(__file__).with_name("analyser_weights.npz")
# The model the weights were learned on, as the local backend serves it to the journal's embeddings too:
# one copy in the process, held within the local models' memory budget.
EMBEDDING_MODEL = ModelSpec(slug="meditrack-analyser", task=Task.EMBEDDING, backend=BackendName.LOCAL,
                            model_id="pkg:all-minilm-l6-v2")
# A few words each, in the first person where it fits: short descriptions embed closer to journal
# sentences than single words do.
EMOTION_PROTOTYPES: dict[str, tuple[str, ...]] = {
    "joy": ("I feel happy and cheerful", "what a wonderful, joyful day", "I'm delighted and excited"),
    "love": ("I love them so much", "I feel close and affectionate", "my heart is full of love"),
    "gratitude": ("I'm so grateful", "thank you, I really appreciate it", "I feel thankful and blessed"),
    "hope": ("I'm hopeful things will get better", "looking forward to it", "I feel optimistic"),
    "calm": ("I feel calm and relaxed", "peaceful and at ease", "I'm content and rested"),
    "surprise": ("I was so surprised", "I can't believe it, that was unexpected", "what a shock, wow"),
    "sadness": ("I feel sad and down", "I'm lonely and heartbroken", "I cried, I feel hopeless"),
    "fear": ("I'm scared and anxious", "I'm terrified and worried", "I'm nervous, I panic"),
    "anger": ("I'm angry and furious", "this makes me so mad", "I'm irritated and frustrated"),
    "disgust": ("that's disgusting", "I feel sick of it, revolting", "gross, I'm repulsed"),
    # Half topic, half the absence of feeling: only routine medical notes would pull every health entry here.
    "neutral": ("I took my medication at nine", "nothing special happened today",
                "just writing it down for the record"),
}
# Sentences are packed into chunks of up to about a short sentence's length: the weights were trained on
# tweets, and whole NYT editorials / Amazon reviews score closer to their sentences' mean human rating
# read this way than in windows of the model's full length (bench/sentiment_quality.py measures it).
CHUNK_TOKENS = 32

_lock = threading.Lock()
_encoder: Encoder | None = None
_weights: Weights | None = None


def prototypes_digest() -> str:
    """Identifies EMOTION_PROTOTYPES, so weights embedded from other descriptions are refused."""
    return hashlib.sha256(repr(sorted(EMOTION_PROTOTYPES.items())).encode()).hexdigest()[:16]


class Encoder:
    """The model and VADER, as both analysis and training use them."""

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.vader = SentimentIntensityAnalyzer()
        self.chunk_tokens = CHUNK_TOKENS
        sentence_transformer(EMBEDDING_MODEL)  # the model loads with the encoder, not in its first analysis

    @property
    def model(self):
        """Asked of the load-once cache at each use, never kept here: the cache may drop it to stay
        within its budget, and loads it again when it is next needed."""
        return sentence_transformer(EMBEDDING_MODEL)

    @property
    def max_tokens(self) -> int:
        # [CLS] and [SEP] take two of the model's positions.
        return self.model.max_seq_length - 2

    def count_tokens(self, text: str) -> int:
        # verbose=False: counting a text past the model's limit is the point here, not a mistake to warn about.
        return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def chunks(self, texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Every chunk of every text, the index of the text each belongs to, and each chunk's weight."""
        chunks, owners, weights = [], [], []
        for index, text in enumerate(texts):
            for chunk in chunk_text(text, self.count_tokens, self.max_tokens, self.chunk_tokens):
                chunks.append(chunk)
                owners.append(index)
                weights.append(max(1, self.count_tokens(chunk)))
        return chunks, np.asarray(owners, dtype=np.int64), np.asarray(weights, dtype=np.float64)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length sentence embeddings of texts the model reads whole: one encode call."""
        model = self.model
        if not texts:
            return np.zeros((0, model.get_embedding_dimension()), dtype=np.float32)
        return model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False)

    def compound(self, texts: list[str]) -> np.ndarray:
        return np.array([self.vader.polarity_scores(text)["compound"] for text in texts], dtype=np.float32)


class Weights:
    """What bench/train_sentiment.py learned, as it saved it."""

    def __init__(self, path: Path = WEIGHTS_PATH) -> None:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["prototypes_digest"]) != prototypes_digest():
                raise RuntimeError(f"{path.name} was made from other emotion prototypes: run bench/train_sentiment.py")
            self.rating_embedding = saved["rating_embedding"].astype(np.float32)
            self.rating_vader = float(saved["rating_vader"])
            self.rating_bias = float(saved["rating_bias"])
            self.ordinal_k, self.ordinal_t1, self.ordinal_t2 = (float(v) for v in saved["ordinal"])
            self.emotion_labels = tuple(str(label) for label in saved["emotion_labels"])
            self.emotion_prototypes = saved["emotion_prototypes"].astype(np.float32)
            self.emotion_temperature = float(saved["emotion_temperature"])

    def ratings(self, embeddings: np.ndarray, compound: np.ndarray) -> np.ndarray:
        """Predicted mean human ratings (-4..+4)."""
        return embeddings @ self.rating_embedding + self.rating_vader * compound + self.rating_bias

    def emotion_probabilities(self, embeddings: np.ndarray) -> np.ndarray:
        logits = embeddings @ self.emotion_prototypes.T / self.emotion_temperature
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def sentiment(self, rating: float | None) -> dict:
        score = 0.0 if rating is None else float(np.clip(rating / 4.0, -1.0, 1.0))
        below_zero = _sigmoid(self.ordinal_k * (self.ordinal_t1 - score))
        up_to_zero = _sigmoid(self.ordinal_k * (self.ordinal_t2 - score))
        scores = {"negative": below_zero, "neutral": up_to_zero - below_zero, "positive": 1.0 - up_to_zero}
        return {"label": max(scores, key=scores.get), "scores": scores, "score": score}


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def encoder() -> Encoder:
    """The process's encoder, loaded on first use."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                _encoder = Encoder()
    return _encoder


def weights() -> Weights:
    """The shipped weights, loaded on first use."""
    global _weights
    if _weights is None:
        with _lock:
            if _weights is None:
                _weights = Weights()
    return _weights


def embedding_model():
    """The SentenceTransformer the analysis embeds with (loaded on first use)."""
    return encoder().model


def per_text_mean(values: np.ndarray, owners: np.ndarray, weights: np.ndarray, count: int) -> list:
    """The weighted mean of each text's chunk values (rows), or None for a text without chunks."""
    values = values[:, None] if values.ndim == 1 else values
    totals = np.zeros((count, values.shape[1]))
    np.add.at(totals, owners, values * weights[:, None])
    mass = np.bincount(owners, weights=weights, minlength=count)
    return [totals[i] / mass[i] if mass[i] > 0 else None for i in range(count)]


def analyze(texts: list[str], top: int = 3) -> list[dict]:
    """Sentiment and top emotions of each text from one embedding call: {"sentiment": ..., "emotions": ...},
    each as analyze_sentiment and analyze_emotions give them."""
    e, w = encoder(), weights()
    chunks, owners, chunk_weights = e.chunks(texts)
    embeddings = e.embed(chunks)
    ratings = per_text_mean(w.ratings(embeddings, e.compound(chunks)), owners, chunk_weights, len(texts))
    emotions = per_text_mean(w.emotion_probabilities(embeddings), owners, chunk_weights, len(texts))
    return [
        {"sentiment": w.sentiment(None if rating is None else rating[0]),
         "emotions": [] if probs is None else _top(w.emotion_labels, probs, top)}
        for rating, probs in zip(ratings, emotions, strict=True)
    ]


def analyze_all(texts: list[str]) -> list[dict]:
    """Per text: {"sentiment": {label: probability}, "emotions": {label: probability}}, every label."""
    return [{"sentiment": result["sentiment"]["scores"], "emotions": dict(result["emotions"])}
            for result in analyze(texts, top=len(weights().emotion_labels))]


def analyze_sentiment(texts: list[str]) -> list[dict]:
    """Per text: {"label": "negative"|"neutral"|"positive", "scores": {label: probability} (summing to 1),
    "score": predicted mean human rating scaled to -1..1}."""
    return [result["sentiment"] for result in analyze(texts)]


def analyze_emotions(texts: list[str], top: int = 3) -> list[list[tuple[str, float]]]:
    """Per text: its top emotions as (label, probability), most probable first."""
    return [result["emotions"] for result in analyze(texts, top)]


def _top(labels: tuple[str, ...], probs: np.ndarray, top: int) -> list[tuple[str, float]]:
    order = np.argsort(-probs, kind="stable")[:top]
    return [(labels[i], float(probs[i])) for i in order]
