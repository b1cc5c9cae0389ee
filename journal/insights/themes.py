"""Recurring themes of a journal: k-means clusters of the entries' unit-length sentence embeddings (scikit-learn's
KMeans and silhouette_score, imported where they are used: they are slow to load).

k is chosen by the mean silhouette (cosine distance) among 2..MAX_THEMES (see _choose_clusters), seeded by k-means++
from a fixed seed, so the same journal always gives the same themes. A theme is named by its most distinctive single
words: the ones most of its entries use and the other entries rarely do. Only single words leave this module, never
phrases of an entry.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

from journal.insights.entries import EntryTable, id_list, sentiment_label
from journal.insights.phrases import normalise
from journal.insights.statistics import mean_or_none, rounded

MAX_THEMES = 8
MIN_THEME_ENTRIES = 3
# Below this mean silhouette the clusters are noise: better no themes than invented ones.
MIN_SILHOUETTE = 0.02
# k-means++ runs: one is scikit-learn's own default, and more did not pay for their time.
KMEANS_INITS = 1
KMEANS_ITERATIONS = 30
# The exact silhouette needs an n x n distance matrix; beyond this many entries a fixed sample of them is scored.
SILHOUETTE_SAMPLE = 500
KEYWORDS_PER_THEME = 5
REPRESENTATIVES_PER_THEME = 5
SEED = 0

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
# Every ASCII byte but a lower-case letter separates words ("don't" gives "don" and "t", both dropped).
_WORD_BYTES = bytes(b if 97 <= b <= 122 or b >= 128 else 32 for b in range(256))
_STOP_BYTES = frozenset(word.encode() for word in STOP_WORDS)


def themes(table: EntryTable) -> dict:
    """Recurring themes: clusters of the entry embeddings, each named by its distinctive words. status is "ok",
    "insufficient_data" (fewer than 2 * MIN_THEME_ENTRIES embedded entries) or "no_distinct_themes"."""
    embedded = [i for i, e in enumerate(table.entries) if e.embedding is not None]
    items: list[dict] = []
    result: dict = {"status": "insufficient_data", "embedded_entries": len(embedded), "k": None, "silhouette": None,
                    "items": items}
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
    result.update(k=int(len(centres)), silhouette=rounded(silhouette, 3))
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
        mean_score = mean_or_none(table.score[member_rows])
        items.append({
            "id": 0,
            "keywords": keywords[cluster],
            "entries": int(len(members)),
            "share": rounded(len(members) / n, 3),
            "mean_score": rounded(mean_score),
            "label": sentiment_label(mean_score),
            "entry_ids": id_list(table.ids[member_rows]),
            "representative_ids": id_list(table.ids[rows[closest]]),
        })
    items.sort(key=lambda theme: (-theme["entries"], theme["entry_ids"][0]))
    for number, theme in enumerate(items, 1):
        theme["id"] = number
    result["status"] = "ok"
    return result


def _choose_clusters(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Labels, unit centres and mean silhouette of the clustering into k in 2..MAX_THEMES themes with the best
    silhouette (k is 1, silhouette 0, when the entries have fewer than two distinct embeddings).

    The entries are over-segmented once into the largest k by scikit-learn's KMeans (k-means++ from a fixed seed),
    then the two clusters whose union loses the least cohesion are merged, again and again down to two: each k costs
    a merge and a silhouette instead of k-means runs of its own, and pieces of one real theme, being close, are merged
    first. That costs less than a KMeans of its own per k, and chose better themes on the benchmark's journal. The
    chosen partition is then refined by k-means from its merged centres."""
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
    words_of = [set(normalise(text).encode().translate(_WORD_BYTES).split()) - _STOP_BYTES for text in texts]
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

