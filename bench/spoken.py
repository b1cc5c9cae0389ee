"""Speech for the speech benchmarks, made by the packaged espeak-ng through the inference layer's own backend, in
the registry's default voice."""

from meditrack.inference.backends.builtin import BuiltinBackend
from meditrack.inference.types import BackendName, ModelSpec, Task

VOICE, RATE = "en-us", 165  # the espeak-ng entry of meditrack/inference/migrations/0003_defaults.py


def espeak(text: str) -> bytes:
    """The text as WAV."""
    spec = ModelSpec(slug="espeak-ng", task=Task.TTS, backend=BackendName.BUILTIN, model_id="espeak-ng",
                     params={"voice": VOICE, "rate": RATE})
    return BuiltinBackend().synthesize(spec, text).audio
