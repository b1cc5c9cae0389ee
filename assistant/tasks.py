from datetime import timedelta

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from assistant import indexing, services
from meditrack.accounts.models import User
from meditrack.inference.errors import InferenceError


# Readers follow the reply's stream, never a task result: none is stored, and sending one
# does not subscribe to the result backend first. A database that does not answer (a restart) is waited for:
# the reply would otherwise stay 'streaming', its end unsaved and unannounced, until the sweeper (the retry
# closes it as interrupted, keeping its text, when it had started).
@shared_task(name="assistant.generate_reply", ignore_result=True, autoretry_for=(OperationalError, InterfaceError),
             retry_backoff=2, retry_backoff_max=60, max_retries=10)
def generate_reply(message_id: int, model: str | None = None) -> None:
    services.reply_generate(message_id=message_id, model=model)


@shared_task(name="assistant.sweep_stuck_replies")
def sweep_stuck_replies() -> int:
    # Past the hard time limit no task can still be writing the reply.
    return services.stuck_replies_sweep(older_than=timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60))


class _DocumentTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once the retries are spent: the document says it failed instead of 'indexing' for ever.
        indexing.document_index_fail(document_id=args[0], reason="The embedding model was not available.")


@shared_task(name="assistant.index_document", base=_DocumentTask, ignore_result=True, autoretry_for=(InferenceError,),
             retry_backoff=5, retry_backoff_max=300, retry_jitter=True, max_retries=6)
def index_document(document_id: int) -> None:
    indexing.document_index(document_id=document_id)


@shared_task(name="assistant.index_journal_entry", ignore_result=True, autoretry_for=(InferenceError,),
             retry_backoff=5, retry_backoff_max=300, retry_jitter=True, max_retries=6)
def index_journal_entry(entry_id: int) -> None:
    indexing.entries_index(entry_ids=[entry_id])


@shared_task(name="assistant.reindex_owner", ignore_result=True, autoretry_for=(InferenceError,), retry_backoff=5,
             retry_backoff_max=300, retry_jitter=True, max_retries=6)
def reindex_owner(user_id: int) -> None:
    indexing.owner_reindex(user=User.objects.get(pk=user_id))
