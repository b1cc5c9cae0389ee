import time

import pytest

from meditrack.inference.tests.conftest import model_server  # noqa: F401  (the loopback model server)
from meditrack.inference.tests.factories import model, serve, tier


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.2):
    """Poll what a worker is doing in another thread until it holds, or fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(interval)
    raise AssertionError(f"not done within {timeout} s")




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
