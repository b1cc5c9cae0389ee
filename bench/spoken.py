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


def listener(email: str):
    """A user whose tier hears with the packaged Whisper tiny.en on the gpu queue, with no per-minute limit to
    speak of: the benchmarks measure transcription, not the tier's limits."""
    from meditrack.accounts.models import User
    from meditrack.testing.factories import model, serve, tier

    serve(tier("standard", rpm=1_000_000), model("whisper-tiny-en", task="asr", backend="local",
                                                 model_id="pkg:whisper-tiny.en", queue="gpu", timeout_s=300))
    return User.objects.get_or_create(email=email)[0]
