"""The model registry as tests set it up: the loopback model server, and the tiers' models."""

import pytest

from meditrack.testing.factories import model, serve, tier
from meditrack.testing.model_server import ModelServer


@pytest.fixture
def model_server():
    """A loopback model server (see meditrack.testing.model_server), stopped and its threads joined at teardown."""
    server = ModelServer().start()
    try:
        yield server
    finally:
        server.stop()
    # A bug in the server answers 500; say so rather than let a test blame the client.
    assert not server.errors, "the loopback model server failed:\n" + "\n".join(server.errors)


@pytest.fixture
def chat_model(model_server):
    """The standard tier (everyone's here) chats with the loopback server, on the io queue."""
    chat = model("loopback-chat", base_url=f"{model_server.base_url}/v1", model_id="loopback-chat", queue="io")
    serve(tier("standard", max_new_tokens=512), chat)
    return chat


@pytest.fixture
def offline_models(db):
    """The registry's offline defaults for analysis, as migration 0004 registers them (a transactional test
    empties the tables the migrations filled)."""
    standard = tier()
    serve(standard, model("meditrack-sentiment", task="sentiment", backend="builtin", model_id="meditrack-analyser",
                          queue="cpu", timeout_s=120),
          model("meditrack-emotion", task="emotion", backend="builtin", model_id="meditrack-analyser", queue="cpu",
                timeout_s=120))
    serve(standard, model("all-minilm-l6-v2", task="embedding", backend="local", model_id="pkg:all-minilm-l6-v2",
                          queue="cpu", context_window=256, timeout_s=120))
    return standard
