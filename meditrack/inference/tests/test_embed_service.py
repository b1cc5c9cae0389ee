"""text_embed: a text longer than the embedding model's window is read whole, in parts, in the same one call."""

import math

import pytest

from meditrack.inference.services import text_embed
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.model_server import embedding as loopback_vector

pytestmark = pytest.mark.django_db


@pytest.fixture
def hosted_embedder(model_server):
    model_server.register("org/embedder", task="feature-extraction", dim=16)
    serve(tier(), model("hosted-embedder", task="embedding", backend="hf_inference", base_url=model_server.base_url,
                        model_id="org/embedder", context_window=18))
    return model_server


def test_it_splits_a_text_longer_than_the_window_into_one_call_and_reads_every_word(hosted_embedder):
    words = [f"word{i}" for i in range(120)]

    slug, vectors = text_embed(tier="standard", texts=[" ".join(words), "short"])

    assert slug == "hosted-embedder"
    assert hosted_embedder.count("/models/org/embedder") == 1
    sent = hosted_embedder.requests[-1].json["inputs"]
    assert len(sent) > 2 and sent[-1] == "short"
    assert " ".join(sent[:-1]).split() == words  # every word read, in order, none cut
    assert [len(vector) for vector in vectors] == [16, 16]
    assert all(math.isclose(math.hypot(*vector), 1.0) for vector in vectors)


def test_a_long_texts_vector_is_its_parts_averaged_not_its_first_part(hosted_embedder):
    long_text = " ".join(f"word{i}" for i in range(120))
    _, (whole,) = text_embed(tier="standard", texts=[long_text])
    first_part = hosted_embedder.requests[-1].json["inputs"][0]

    _, (first,) = text_embed(tier="standard", texts=[first_part])

    assert sum(a * b for a, b in zip(whole, first, strict=True)) < 0.99


def test_a_text_that_fits_keeps_the_models_own_vector(hosted_embedder):
    _, (vector,) = text_embed(tier="standard", texts=["fits in one"])

    assert hosted_embedder.requests[-1].json["inputs"] == ["fits in one"]
    assert vector == pytest.approx(loopback_vector("fits in one", 16))
