from datetime import timedelta

from celery import shared_task
from django.conf import settings

from assistant import services


# Readers follow the reply's stream, never a task result: none is stored, and sending one
# does not subscribe to the result backend first.
@shared_task(name="assistant.generate_reply", ignore_result=True)
def generate_reply(message_id: int, model: str | None = None) -> None:
    services.reply_generate(message_id=message_id, model=model)


@shared_task(name="assistant.sweep_stuck_replies")
def sweep_stuck_replies() -> int:
    # Past the hard time limit no task can still be writing the reply.
    return services.stuck_replies_sweep(older_than=timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60))
