"""An io worker loads no local model: an embedding it needs is made by the workers of the model's queue."""

import numpy as np
import pytest

from meditrack.inference import backends, services

pytestmark = pytest.mark.usefixtures("offline_models")


def test_it_has_the_models_workers_embed_and_waits_for_the_vectors(procfile_stack, monkeypatch):
    local_slug, local_vectors = services.text_embed(tier="standard", texts=["My knee hurts after walking."])
    procfile_stack("cpu")
    monkeypatch.setattr(backends, "_local_models_allowed", False)  # as in a worker that takes only io

    slug, vectors = services.text_embed(tier="standard", texts=["My knee hurts after walking."])

    assert slug == local_slug
    assert np.allclose(vectors, local_vectors, atol=1e-5)


def test_with_no_worker_to_embed_it_is_a_model_unavailable_error(monkeypatch):
    monkeypatch.setattr(backends, "_local_models_allowed", False)
    monkeypatch.setattr(services, "EMBED_ELSEWHERE_TIMEOUT_S", 1.0)

    with pytest.raises(services.ModelUnavailable):
        services.text_embed(tier="standard", texts=["anything"])
