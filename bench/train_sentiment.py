"""Train the offline sentiment encoder's weights (meditrack/inference/analyser_weights.npz) from human ratings.

Data: the ground truth of Hutto & Gilbert (ICWSM 2014), shipped in the vaderSentiment 3.3.2 sdist
(fetched once with pip into var/datasets/). Training uses only the 4,200 rated tweets and the 7,520 rated
words of VADER's lexicon; the NYT, Amazon and movie-review snippets are never read here, they are
bench/sentiment_quality.py's held-out sets. Deterministic: fixed folds, closed-form fits.

Run: .venv/bin/python bench/train_sentiment.py
"""

import ast
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "var" / "datasets"
SDIST = DATASETS / "vaderSentiment-3.3.2.tar.gz"
GROUND_TRUTH = DATASETS / "hutto_ICWSM_2014"
FILES = {
    "tweets": "tweets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "movies": "movieReviewSnippets_GroundTruth.txt",
}
TWEET_VOTES = "tweets_anonDataRatings.txt"
ALPHAS = np.logspace(-2, 3, 21)
FOLDS = 5
SEED = 0
# Hand-written, used only to fit the softmax temperature (the tests use other sentences): two clear sentences
# per emotion, and mixed feelings shared between two, without which the fit trusts the nearest prototype
# far too much for entries that hold more than one feeling.
EMOTION_CALIBRATION = [
    ("We laughed all afternoon, such a happy day.", {"joy": 1}),
    ("I finally finished the race and I'm thrilled!", {"joy": 1}),
    ("Holding my newborn niece, I adore her.", {"love": 1}),
    ("I missed my husband so much, I love him dearly.", {"love": 1}),
    ("Thanks to the nurses who looked after me.", {"gratitude": 1}),
    ("I'm thankful my friend drove me to the clinic.", {"gratitude": 1}),
    ("The new treatment might work, I'm hopeful.", {"hope": 1}),
    ("Tomorrow will be better, I can feel it.", {"hope": 1}),
    ("A quiet evening reading by the window.", {"calm": 1}),
    ("I meditated and my mind feels still.", {"calm": 1}),
    ("I didn't expect the results to come back so fast!", {"surprise": 1}),
    ("Wow, they threw me a party, I had no idea.", {"surprise": 1}),
    ("I miss my mother, the house feels empty.", {"sadness": 1}),
    ("Another bad night, I feel so low and alone.", {"sadness": 1}),
    ("I'm afraid the lump is cancer.", {"fear": 1}),
    ("My heart races every time the phone rings, I dread bad news.", {"fear": 1}),
    ("The pharmacy lost my prescription again, I'm fuming.", {"anger": 1}),
    ("He lied to me and I'm furious.", {"anger": 1}),
    ("The hospital bathroom was filthy, it made me gag.", {"disgust": 1}),
    ("The smell of that food revolts me.", {"disgust": 1}),
    ("Blood pressure 120 over 80 this morning.", {"neutral": 1}),
    ("I picked up the prescription on Tuesday.", {"neutral": 1}),
    ("I was nervous before the results, but they were good and I'm so happy.", {"fear": 0.5, "joy": 0.5}),
    ("Mum's funeral was today; I'm grateful so many friends came.", {"sadness": 0.5, "gratitude": 0.5}),
    ("I'm angry the surgery was postponed and scared it will get worse.", {"anger": 0.5, "fear": 0.5}),
    ("Resting at home after the appointment, hoping the new pills help.", {"calm": 0.5, "hope": 0.5}),
    ("I can't believe he proposed, I love him so much!", {"surprise": 0.5, "love": 0.5}),
    ("Lonely tonight, but looking forward to my daughter's visit.", {"sadness": 0.5, "hope": 0.5}),
    ("The waiting room was filthy and the staff were rude, I'm livid.", {"disgust": 0.5, "anger": 0.5}),
    ("Took my pills at eight and felt a bit anxious afterwards.", {"neutral": 0.5, "fear": 0.5}),
]


def ensure_ground_truth() -> Path:
    """The folder of the paper's ground-truth files, fetching and extracting the sdist the first time."""
    if all((GROUND_TRUTH / name).exists() for name in [*FILES.values(), TWEET_VOTES]):
        return GROUND_TRUTH
    DATASETS.mkdir(parents=True, exist_ok=True)
    if not SDIST.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                        "--dest", str(DATASETS), "vaderSentiment==3.3.2"], check=True)
    GROUND_TRUTH.mkdir(exist_ok=True)
    with tarfile.open(SDIST) as sdist:
        inner = sdist.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
        with tarfile.open(fileobj=inner) as ground_truth:
            for name in [*FILES.values(), TWEET_VOTES]:
                data = ground_truth.extractfile(f"hutto_ICWSM_2014/{name}").read()
                (GROUND_TRUTH / name).write_bytes(data)
    return GROUND_TRUTH


def load_set(name: str) -> tuple[list[str], list[str], np.ndarray]:
    """(ids, texts, mean human ratings on -4..+4) of one rated set."""
    ids, texts, ratings = [], [], []
    path = ensure_ground_truth() / FILES[name]
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split("\t")
        if len(fields) >= 3:
            ids.append(fields[0])
            ratings.append(float(fields[1]))
            texts.append("\t".join(fields[2:]))
    return ids, texts, np.asarray(ratings)


def tweet_votes(ids: list[str], ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows of the tweets, votes below/at/above zero per row) for the tweets whose raw ratings match their
    mean; the file's ids drift from the ground truth's for some 200 tweets, which are left out."""
    raw = {}
    for line in (ensure_ground_truth() / TWEET_VOTES).read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("\t")
        if len(fields) >= 4:
            raw[fields[0]] = (float(fields[1]), ast.literal_eval(fields[3]))
    rows, votes = [], []
    for row, (tweet_id, rating) in enumerate(zip(ids, ratings, strict=True)):
        if tweet_id in raw and abs(raw[tweet_id][0] - rating) < 1e-6:
            each = np.asarray(raw[tweet_id][1])
            rows.append(row)
            votes.append([(each < 0).sum(), (each == 0).sum(), (each > 0).sum()])
    return np.asarray(rows), np.asarray(votes, dtype=np.float64)


def lexicon() -> tuple[list[str], np.ndarray]:
    import vaderSentiment

    words, ratings = [], []
    for line in (Path(vaderSentiment.__file__).parent / "vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if len(fields) >= 2:
            words.append(fields[0])
            ratings.append(float(fields[1]))
    return words, np.asarray(ratings)


def ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Weights and intercept of ridge regression (the intercept is not penalised)."""
    x_mean, y_mean = x.mean(axis=0), y.mean()
    xc = x - x_mean
    w = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ (y - y_mean))
    return w, float(y_mean - x_mean @ w)


def out_of_fold(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    folds = np.random.default_rng(SEED).permutation(len(y)) % FOLDS
    predictions = np.empty_like(y)
    for fold in range(FOLDS):
        w, b = ridge(x[folds != fold], y[folds != fold], alpha)
        predictions[folds == fold] = x[folds == fold] @ w + b
    return predictions


def cross_validated_ridge(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, float, np.ndarray]:
    """Ridge with the alpha that minimises cross-validated squared error: (w, b, alpha, out-of-fold predictions)."""
    errors = [np.mean((out_of_fold(x, y, alpha) - y) ** 2) for alpha in ALPHAS]
    alpha = float(ALPHAS[int(np.argmin(errors))])
    w, b = ridge(x, y, alpha)
    return w, b, alpha, out_of_fold(x, y, alpha)


def fit_ordinal(scores: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """(k, t1, t2) of the ordinal logit that best explains the raters' votes (maximum likelihood)."""
    from scipy.optimize import minimize

    def negative_log_likelihood(params):
        k, t1, gap = params
        below = 1 / (1 + np.exp(-k * (t1 - scores)))
        up_to = 1 / (1 + np.exp(-k * (t1 + np.exp(gap) - scores)))
        p = np.clip(np.stack([below, up_to - below, 1 - up_to], axis=1), 1e-12, 1)
        return -(votes * np.log(p)).sum()

    # The gap is fitted as a logarithm so that t1 < t2 always holds.
    k, t1, gap = minimize(negative_log_likelihood, x0=[5.0, -0.1, np.log(0.2)], method="Nelder-Mead",
                          options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20000}).x
    return np.array([k, t1, t1 + np.exp(gap)])


def neutral_band(k: float, t1: float, t2: float) -> tuple[float, float]:
    """The scores between which neutral is the most probable class."""
    grid = np.linspace(-1, 1, 20001)
    below = 1 / (1 + np.exp(-k * (t1 - grid)))
    up_to = 1 / (1 + np.exp(-k * (t2 - grid)))
    neutral = (up_to - below > below) & (up_to - below > 1 - up_to)
    return (float(grid[neutral].min()), float(grid[neutral].max())) if neutral.any() else (0.0, 0.0)


def fit_temperature(similarities: np.ndarray, shares: np.ndarray) -> float:
    """The softmax temperature that maximises the likelihood of the calibration sentences' (shared) labels."""
    def log_likelihood(temperature):
        logits = similarities / temperature
        logits -= logits.max(axis=1, keepdims=True)
        return (shares * (logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)))).sum()

    grid = np.logspace(-3, 0, 301)
    return float(grid[int(np.argmax([log_likelihood(t) for t in grid]))])


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    from meditrack.inference import analyser as sentiment

    started = time.perf_counter()
    encoder = sentiment.encoder()
    ids, tweets, y = load_set("tweets")
    words, word_ratings = lexicon()
    # A tweet's features as the analyser sees them: the token-weighted means over its chunks (the rating is
    # linear in them, so training on the means is training on what analysis computes).
    chunks, owners, chunk_weights = encoder.chunks(tweets)
    chunk_features = np.column_stack([encoder.embed(chunks), encoder.compound(chunks)]).astype(np.float64)
    tweet_features = np.stack(sentiment.per_text_mean(chunk_features, owners, chunk_weights, len(tweets)))
    x_tweets, compound = tweet_features[:, :-1], tweet_features[:, -1]
    x_words = encoder.embed(words).astype(np.float64)

    w_tweets, b_tweets, alpha_tweets, oof_tweets = cross_validated_ridge(x_tweets, y)
    w_words, b_words, alpha_words, _ = cross_validated_ridge(x_words, word_ratings)
    from_words = x_tweets @ w_words + b_words
    # (value on each tweet, embedding weights, bias, compound weight) of the three predictors of the rating. They
    # are averaged in units of their spread on the tweets with equal weights: a fit there would over-trust VADER,
    # tuned on these very tweets. The tweets' own ridge enters with its out-of-fold values, as on unseen text.
    predictors = [(oof_tweets, w_tweets, b_tweets, 0.0), (from_words, w_words, b_words, 0.0),
                  (compound, np.zeros_like(w_tweets), 0.0, 1.0)]
    blend = sum((value - value.mean()) / value.std() for value, *_ in predictors)
    slope, intercept = np.polyfit(blend, y, 1)
    rating_w = slope * sum(w / value.std() for value, w, _, _ in predictors)
    rating_vader = slope * sum(c / value.std() for value, _, _, c in predictors)
    rating_bias = intercept + slope * sum((b - value.mean()) / value.std() for value, _, b, _ in predictors)
    oof_ratings = intercept + slope * blend

    rows, votes = tweet_votes(ids, y)
    ordinal = fit_ordinal(np.clip(oof_ratings[rows] / 4, -1, 1), votes)

    labels = list(sentiment.EMOTION_PROTOTYPES)
    prototypes = np.stack([encoder.embed(list(sentiment.EMOTION_PROTOTYPES[label])).mean(axis=0) for label in labels])
    prototypes /= np.linalg.norm(prototypes, axis=1, keepdims=True)
    shares = np.array([[share.get(label, 0) for label in labels] for _, share in EMOTION_CALIBRATION])
    similarities = encoder.embed([text for text, _ in EMOTION_CALIBRATION]) @ prototypes.T
    temperature = fit_temperature(similarities, shares)
    clear = shares.max(axis=1) == 1
    calibration_accuracy = float(np.mean(similarities[clear].argmax(axis=1) == shares[clear].argmax(axis=1)))

    np.savez_compressed(
        sentiment.WEIGHTS_PATH,
        rating_embedding=rating_w.astype(np.float32),
        rating_vader=np.float32(rating_vader),
        rating_bias=np.float32(rating_bias),
        ordinal=ordinal.astype(np.float32),
        emotion_labels=np.array(labels),
        emotion_prototypes=prototypes.astype(np.float32),
        emotion_temperature=np.float32(temperature),
        prototypes_digest=np.array(sentiment.prototypes_digest()),
    )
    low, high = neutral_band(*ordinal)
    print(f"training split: tweets (n={len(y)}, ridge alpha={alpha_tweets:g}), VADER lexicon words "
          f"(n={len(word_ratings)}, ridge alpha={alpha_words:g}); held out: nyt, amazon, movies")
    print(f"cross-validated r on the tweets (a training diagnostic, not a result): embedding ridge "
          f"{np.corrcoef(oof_tweets, y)[0, 1]:.3f}, blend {np.corrcoef(oof_ratings, y)[0, 1]:.3f}")
    print(f"rating = embedding . w + {rating_vader:.3f} * compound + {rating_bias:.3f}; "
          f"classes: k={ordinal[0]:.2f} t1={ordinal[1]:.3f} t2={ordinal[2]:.3f}, "
          f"neutral when {low:.3f} <= score <= {high:.3f} (fitted on {int(votes.sum())} votes)")
    print(f"emotions: {len(labels)} labels, temperature {temperature:.4f}, "
          f"top-1 on the clear calibration sentences {calibration_accuracy:.2f}")
    print(f"wrote {sentiment.WEIGHTS_PATH.relative_to(ROOT)} ({sentiment.WEIGHTS_PATH.stat().st_size} bytes) "
          f"in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
