"""Speech work on the workers that run the speech models. Each task answers with a small dict (never audio):
{"result": ...}, {"error": {...}} or {"elsewhere": queue} when the model that serves next runs on another queue."""

from celery import shared_task

from speech import practice, services


@shared_task(name="speech.transcribe_clip")
def transcribe_clip(*, clip_id: int, language: str | None = None) -> dict:
    return services.worker_answer(lambda: services.clip_transcribe(clip_id=clip_id, language=language))


@shared_task(name="speech.assess_clip")
def assess_clip(*, clip_id: int, text: str) -> dict:
    return services.worker_answer(lambda: services.clip_assess(clip_id=clip_id, text=text))


@shared_task(name="speech.synthesize")
def synthesize(*, user_id: int, text: str, voice: str | None = None, speed: float | None = None) -> dict:
    return services.worker_answer(lambda: services.user_synthesize(user_id=user_id, text=text, voice=voice,
                                                                   speed=speed))


@shared_task(name="speech.practice_turn")
def practice_turn(*, turn_id: int) -> dict:
    return services.worker_answer(lambda: practice.practice_turn_answer(turn_id=turn_id))
