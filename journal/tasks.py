from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from journal import services
from meditrack.inference.errors import InferenceError


# A model that fails mid-batch: the entries stay pending and the batch is tried again, later and later.
@shared_task(name="journal.analyze_pending", bind=True, autoretry_for=(InferenceError,), retry_backoff=5,
             retry_backoff_max=300, retry_jitter=True, max_retries=8)
def analyze_pending(self, tier: str) -> int:
    return services.analysis_run_batch(tier=tier, run_id=self.request.id)


@shared_task(name="journal.requeue_stalled_analyses")
def requeue_stalled_analyses() -> list[str]:
    return services.stalled_analyses_requeue()


@shared_task(name="journal.compute_insight")
def compute_insight(user_id: int, kind: str) -> None:
    services.insight_compute(user_id=user_id, kind=kind)


class _VoiceTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once the retries are spent: the user hears it failed instead of waiting for an entry.
        code = "timeout" if isinstance(exc, SoftTimeLimitExceeded) else getattr(exc, "code", "error")
        services.voice_entry_failed(job_id=kwargs["job_id"], code=code)


@shared_task(name="journal.transcribe_voice_entry", base=_VoiceTask, autoretry_for=(InferenceError,),
             retry_backoff=5, retry_backoff_max=120, max_retries=5)
def transcribe_voice_entry(*, job_id: str, written_at: str, mood: int | None, shared_with_care_team: bool) -> None:
    services.voice_entry_transcribe(job_id=job_id, written_at=written_at, mood=mood,
                                    shared_with_care_team=shared_with_care_team)
