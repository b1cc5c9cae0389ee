"""Reports that no run will finish: stuck ones are swept, and a report whose runs keep killing their
worker is given up on instead of being redelivered for ever."""

import signal
import uuid
from datetime import timedelta

import psutil
import pytest
from django.conf import settings
from django.utils import timezone

from assistant.tests.test_worker_killed import QUEUE, worker_process  # noqa: F401 (a fixture)
from meditrack.reports import services
from meditrack.reports.models import AnalysisReport
from meditrack.reports.tasks import generate_report, sweep_stuck_reports
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def report_for(clinician, record, period, **fields):
    return AnalysisReport.objects.create(patient=record, requested_by=clinician, date_from=period[0],
                                         date_to=period[1], fingerprint=str(uuid.uuid4()), **fields)


def test_the_sweeper_fails_reports_no_run_can_still_finish(clinician, record, period):
    long_ago = timezone.now() - services.STUCK_AFTER - timedelta(minutes=1)
    lost = report_for(clinician, record, period)  # its message was lost
    AnalysisReport.objects.filter(pk=lost.pk).update(created_at=long_ago)
    stalled = report_for(clinician, record, period, status="writing", run_id=uuid.uuid4(), runs=1,
                         started_at=long_ago)
    waiting = report_for(clinician, record, period)
    running = report_for(clinician, record, period, status="writing", run_id=uuid.uuid4(), runs=1,
                         started_at=timezone.now())
    done = report_for(clinician, record, period, status="done", started_at=long_ago, finished_at=long_ago)
    assert sweep_stuck_reports() == 2
    statuses = {r.pk: (r.status, r.error_code) for r in AnalysisReport.objects.all()}
    assert statuses[lost.pk] == ("failed", "not_started")
    assert statuses[stalled.pk] == ("failed", "stalled")
    assert statuses[waiting.pk] == ("queued", "")
    assert statuses[running.pk] == ("writing", "")
    assert statuses[done.pk] == ("done", "")
    assert AnalysisReport.objects.get(pk=lost.pk).finished_at is not None


def test_the_sweeper_runs_in_beat_after_any_redelivery_could_have_run():
    assert settings.CELERY_BEAT_SCHEDULE["sweep-stuck-reports"]["task"] == "reports.sweep_stuck_reports"
    assert services.STUCK_AFTER.total_seconds() > (settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
                                                   + settings.CELERY_TASK_TIME_LIMIT)


def test_a_report_whose_runs_kept_killing_their_worker_ends_failed(clinician, record, period, chat_model,
                                                                   model_server, worker):
    # What MAX_RUNS runs that each took their worker down leave behind.
    report = report_for(clinician, record, period, status="writing", progress=35, run_id=uuid.uuid4(),
                        runs=services.MAX_RUNS)
    generate_report.apply_async(args=[report.pk], queue="io").get(timeout=20)
    report.refresh_from_db()
    assert (report.status, report.error_code, report.runs) == ("failed", "worker_lost", services.MAX_RUNS)
    assert report.finished_at is not None
    assert model_server.requests == []


def test_a_report_that_kills_its_worker_each_run_ends_failed_after_max_runs(
        clinician, dataset, period, model_server, worker_process):  # noqa: F811
    serve(tier("standard"), model("report-chat", base_url=f"{model_server.base_url}/v1", model_id="report-chat",
                                  queue=QUEUE))

    def the_worker_dies_while_the_model_writes(request):
        [child] = psutil.Process(worker_process.pid).children()
        child.send_signal(signal.SIGKILL)
        return "Never read."

    model_server.reply = the_worker_dies_while_the_model_writes
    report = report_for(clinician, dataset, period)
    generate_report.apply_async(args=[report.pk], queue=QUEUE)

    wait_until(lambda: AnalysisReport.objects.get(pk=report.pk).status == "failed", timeout=120,
               what="the report's end")
    report.refresh_from_db()
    assert (report.error_code, report.runs) == ("worker_lost", services.MAX_RUNS)
    assert len(model_server.requests) == services.MAX_RUNS
    assert worker_process.poll() is None  # the worker itself lives on, and takes other work
