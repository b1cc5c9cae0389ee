"""The speech app's tests: clips in a media folder of their own, and the packaged speech models."""

import pytest

from meditrack.testing.factories import model, serve, tier


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def speech_models(db):
    """The standard tier hears with the packaged Whisper tiny.en and speaks with espeak-ng, on the queues the
    registry's defaults give them."""
    standard = tier()
    serve(standard, model("whisper-tiny-en", task="asr", backend="local", model_id="pkg:whisper-tiny.en",
                          queue="gpu", timeout_s=120))
    serve(standard, model("espeak-ng", task="tts", backend="builtin", model_id="espeak-ng", queue="cpu",
                          parameters={"voice": "en-us", "rate": 165}, timeout_s=60))
    return standard
