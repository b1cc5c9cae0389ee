"""Speech: saving clips, transcribing, synthesising and scoring pronunciation.

These run where they are called. The API sends the model work to a worker (speech.tasks) and waits for its
small answer; the recording travels as a clip in media storage, never through the broker.
"""

from __future__ import annotations

from collections.abc import Callable

from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from meditrack.db import connection_released
from meditrack.errors import ApplicationError
from meditrack.inference import services as inference
from meditrack.inference.errors import InferenceError, ServedElsewhere
from meditrack.inference.types import Task
from speech import audio, pronunciation, selectors
from speech.audio import AudioInfo, AudioRejected
from speech.models import AudioClip

# How long a request waits for a worker's answer: a model's first load comes on top of the work.
WORKER_WAIT_S = 180


def _refused(exc: AudioRejected, field: str = "audio") -> ApplicationError:
    return ApplicationError(exc.detail, code=exc.code, status_code=exc.status, fields={field: [exc.detail]})


def upload_read(*, upload) -> bytes:
    """An uploaded recording's bytes, refused (413) by its declared size before they are read."""
    if upload.size > settings.SPEECH_MAX_UPLOAD_BYTES:
        raise _too_large()
    return upload.read(settings.SPEECH_MAX_UPLOAD_BYTES + 1)


def _too_large() -> ApplicationError:
    limit = settings.SPEECH_MAX_UPLOAD_BYTES / (1024 * 1024)
    return _refused(AudioRejected("too_large", f"The recording is larger than the limit of {limit:g} MB.", 413))


def audio_check(*, data: bytes) -> AudioInfo:
    """The recording's format and duration from its container, within the limits (413, 415, 400), before any
    decoding."""
    if len(data) > settings.SPEECH_MAX_UPLOAD_BYTES:
        raise _too_large()
    try:
        return audio.probe(data, max_duration_s=settings.SPEECH_MAX_DURATION_S)
    except AudioRejected as exc:
        raise _refused(exc) from None


def text_check(*, text: str, field: str = "text") -> str:
    """Text to speak or to say: not blank, within the synthesis limit (400 with the field)."""
    text = text.strip()
    if not text:
        raise ApplicationError("There is no text.", code="invalid", fields={field: ["This field may not be blank."]})
    limit = settings.SPEECH_MAX_SYNTHESIS_CHARS
    if len(text) > limit:
        detail = f"The text is longer than the limit of {limit} characters."
        raise ApplicationError(detail, code="text_too_long", fields={field: [detail]})
    return text


def clip_save(*, owner, data: bytes, info: AudioInfo | None = None, media_type: str | None = None,
              source: str = AudioClip.Source.RECORDING) -> AudioClip:
    """Keep audio as the owner's clip in media storage; `info` from audio_check, else it is probed here."""
    info = info or audio_check(data=data)
    clip = AudioClip(owner=owner, source=source, format=info.format, media_type=media_type or info.media_type,
                     duration_s=info.duration_s, size_bytes=len(data))
    clip.file.save(f"clip.{info.format}", ContentFile(data), save=False)
    clip.save()
    return clip


def clip_delete(*, clip: AudioClip) -> None:
    clip.delete()  # the file goes with it (speech.models.clips)


def _speech_samples(data: bytes):
    """Checked, decoded within the duration limit, and not silent: 16 kHz mono WAV for the model."""
    audio_check(data=data)
    try:
        samples = audio.decode(data, max_duration_s=settings.SPEECH_MAX_DURATION_S)
        audio.refuse_silence(samples)
    except AudioRejected as exc:
        raise _refused(exc) from None
    return audio.to_wav(samples), len(samples) / audio.SAMPLE_RATE


def speech_transcribe(*, user, data: bytes, language: str | None = None) -> dict:
    """{text, language, duration_s, words: [{word, start, end, probability}]} from the tier's speech model."""
    wav, duration_s = _speech_samples(data)
    _, transcript = inference.speech_transcribe(user=user, audio=wav, language=language)
    return {
        "text": transcript.text.strip(),
        "language": transcript.language or language,
        "duration_s": round(duration_s, 3),
        "words": [{"word": w.word, "start": round(w.start, 3), "end": round(w.end, 3),
                   "probability": round(w.probability, 4)} for w in transcript.words],
    }


def speech_synthesize(*, user, text: str, voice: str | None = None, speed: float | None = None) -> AudioClip:
    """The text spoken by the tier's speech model, kept as the user's clip."""
    text = text_check(text=text)
    _, speech = inference.speech_synthesize(user=user, text=text, voice=voice, speed=speed)
    try:
        info = audio.probe(speech.audio)
    except AudioRejected as exc:
        raise ApplicationError("The speech model answered with audio we cannot read.", code="model_unavailable",
                               status_code=503) from exc
    return clip_save(owner=user, data=speech.audio, info=info, media_type=speech.media_type,
                     source=AudioClip.Source.SYNTHESIS)


def pronunciation_assess(*, user, data: bytes, text: str) -> dict:
    """{score, transcript, words: [{word, status, expected, heard, confidence}]}: how `text` was said."""
    text = text_check(text=text)
    heard = speech_transcribe(user=user, data=data, language="en")
    return pronunciation.score(text, heard["words"], transcript=heard["text"])


# ---- on the workers (speech.tasks)


def worker_answer(work: Callable[[], object]) -> dict:
    """A task's answer: the result, the error the user should get, or the queue that serves next."""
    try:
        return {"result": work()}
    except ServedElsewhere as exc:
        return {"elsewhere": exc.queue}
    except ApplicationError as exc:
        return {"error": {"code": exc.code, "detail": exc.detail, "status": exc.status_code, "fields": exc.fields}}
    except InferenceError as exc:
        return {"error": {"code": exc.code, "detail": str(exc), "status": exc.status,
                          "retry_after": exc.retry_after}}


def clip_read(*, clip_id: int) -> tuple:
    """A clip's owner and bytes, for a worker; 410 when the clip is gone (its request gave up and took it back)."""
    clip = AudioClip.objects.select_related("owner").filter(pk=clip_id).first()
    if clip is None:
        raise ApplicationError("The recording is gone.", code="gone", status_code=410)
    with clip.file.open("rb") as stored:
        return clip.owner, stored.read()


def clip_transcribe(*, clip_id: int, language: str | None = None) -> dict:
    owner, data = clip_read(clip_id=clip_id)
    return speech_transcribe(user=owner, data=data, language=language)


def clip_assess(*, clip_id: int, text: str) -> dict:
    owner, data = clip_read(clip_id=clip_id)
    return pronunciation_assess(user=owner, data=data, text=text)


def user_synthesize(*, user_id: int, text: str, voice: str | None = None, speed: float | None = None) -> int:
    return speech_synthesize(user=get_user_model().objects.get(pk=user_id), text=text, voice=voice, speed=speed).pk


# ---- from a request: the work on a worker, waited for


def worker_run(task, *, queue: str, kwargs: dict):
    """The task's result once a worker has run it (following it to the queue whose model serves next), or the
    error it ended with. The request holds no database connection while it waits."""
    for _ in range(2):
        try:
            pending = task.apply_async(kwargs=kwargs, queue=queue)
        except Exception as exc:  # kombu and redis-py each have their own errors for a broker that is down
            raise ApplicationError("The work queue is not answering, so nothing was started. Try again shortly.",
                                   code="queue_unavailable", status_code=503) from exc
        try:
            with connection_released():
                answer = pending.get(timeout=WORKER_WAIT_S)
        except CeleryTimeout:
            pending.revoke()
            raise ApplicationError("The speech service is busy: no worker answered in time. Try again shortly.",
                                   code="worker_timeout", status_code=503) from None
        finally:
            pending.forget()
        if "elsewhere" not in answer:
            break
        queue = answer["elsewhere"]
    if "result" in answer:
        return answer["result"]
    error = answer.get("error") or {"code": "model_unavailable", "detail": "No model could serve.", "status": 503}
    if "retry_after" in error:
        exc = InferenceError(error["detail"], retry_after=error["retry_after"])
        exc.code, exc.status = error["code"], error["status"]
        raise exc
    raise ApplicationError(error["detail"], code=error["code"], status_code=error["status"], fields=error.get("fields"))


def _with_recording(*, user, data: bytes, work) -> dict:
    """The recording checked, kept as a clip while a worker uses it, and then removed."""
    clip = clip_save(owner=user, data=data, info=audio_check(data=data))
    try:
        return work(clip)
    finally:
        clip_delete(clip=clip)


def transcription_request(*, user, data: bytes, language: str | None = None) -> dict:
    from speech.tasks import transcribe_clip

    queue = inference.queue_for(tier=user.tier, task=Task.ASR)
    return _with_recording(user=user, data=data, work=lambda clip: worker_run(
        transcribe_clip, queue=queue, kwargs={"clip_id": clip.pk, "language": language}))


def pronunciation_request(*, user, data: bytes, text: str) -> dict:
    from speech.tasks import assess_clip

    text = text_check(text=text)
    queue = inference.queue_for(tier=user.tier, task=Task.ASR)
    return _with_recording(user=user, data=data, work=lambda clip: worker_run(
        assess_clip, queue=queue, kwargs={"clip_id": clip.pk, "text": text}))


def synthesis_request(*, user, text: str, voice: str | None = None, speed: float | None = None) -> AudioClip:
    from speech.tasks import synthesize

    text = text_check(text=text)
    clip_id = worker_run(synthesize, queue=inference.queue_for(tier=user.tier, task=Task.TTS),
                         kwargs={"user_id": user.pk, "text": text, "voice": voice, "speed": speed})
    return selectors.clip_get(user=user, clip_id=clip_id)
