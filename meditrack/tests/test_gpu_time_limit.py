"""The gpu worker (the Procfile's, solo pool) holds its tasks to their soft time limit as prefork workers do:
a task past it is stopped, ends as a clear failure, and the worker takes the next one."""

import pytest

from journal import selectors, services
from journal.tests.test_voice_entry import spoken
from meditrack.celery import ping
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
HARD_LIMIT_S = 35  # soft limit: 5 s (settings: 30 s before the hard one)


def test_a_gpu_task_past_its_soft_time_limit_is_stopped_and_the_worker_goes_on(patient, model_server,
                                                                               procfile_stack):
    serve(tier(), model("slow-asr", task="asr", backend="hf_inference", base_url=model_server.base_url,
                        model_id="meditrack/loopback-asr", queue="gpu", timeout_s=120))
    model_server.first_byte_delay = 60  # far past the soft limit, well within the model's own timeout
    procfile_stack("gpu", env={"CELERY_TASK_TIME_LIMIT_S": str(HARD_LIMIT_S)})

    job = services.voice_entry_submit(owner=patient, audio=spoken("Hello."))

    def status():
        return selectors.voice_entry_status(user=patient, job_id=job["job_id"])

    wait_until(lambda: status()["status"] != "transcribing", timeout=40, what="the job's end")
    assert (status()["status"], status()["error"]) == ("failed", "timeout")
    model_server.first_byte_delay = 0
    assert ping.apply_async(queue="gpu").get(timeout=20) == "pong"
