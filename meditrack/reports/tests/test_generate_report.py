"""The whole flow: the API queues the task, a real Celery worker writes the report with the loopback
model server as the chat model, progress goes to the requester's notification group."""

import asyncio
import threading
import time
import uuid
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from django.db import connection

from meditrack.accounts.services import user_group
from meditrack.reports import services
from meditrack.reports.models import AnalysisReport
from meditrack.reports.tasks import generate_report
from meditrack.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)
EVENT_KEYS = {"type", "report_id", "status", "progress", "message", "narrative_source", "url", "error_code"}


def good_narrative(period):
    day4 = (period[0] + timedelta(days=4)).isoformat()
    return (f"Over 31 days, systolic blood pressure averaged 146 mmHg (120 to 190), rising by 112 mmHg per week; "
            f"3 of 5 readings (60%) were above the normal range of 90-139 mmHg, and 1 reading of 190/125 on {day4} "
            f"was in the hypertensive-crisis band. SpO2 fell to 88% once. Lisinopril adherence was 90%, with 1 "
            f"missed dose.")


WRONG = "Systolic blood pressure averaged 163 mmHg over 31 days."


@pytest.fixture
def inbox(clinician):
    """The requester's notification group, read straight from the channel layer by a thread with its own
    event loop; calling it returns the events received so far (once none came for a moment)."""
    events, ready, stop = [], threading.Event(), threading.Event()
    last = [time.monotonic()]

    async def listen():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(user_group(clinician.pk), channel)
        ready.set()
        try:
            while not stop.is_set():
                try:
                    message = await asyncio.wait_for(layer.receive(channel), 0.2)
                except TimeoutError:
                    continue
                events.append(message["event"])
                last[0] = time.monotonic()
        finally:
            await layer.group_discard(user_group(clinician.pk), channel)

    thread = threading.Thread(target=lambda: asyncio.run(listen()), daemon=True)
    thread.start()
    assert ready.wait(10)

    def received(*, final: bool = True) -> list[dict]:
        """The events so far: once the last one is report.ready or report.failed (unless final=False),
        and none came for half a second."""
        deadline = time.monotonic() + 10
        called = time.monotonic()
        while time.monotonic() < deadline:
            ended = not final or (events and events[-1]["type"] in ("report.ready", "report.failed"))
            if ended and time.monotonic() - max(last[0], called) >= 0.5:
                break
            time.sleep(0.05)
        taken = list(events)
        events.clear()
        return taken

    yield received
    stop.set()
    thread.join(5)


def ask(client, period, **options) -> int:
    response = client.post("/api/v1/ai-analysis/generate", {
        "patient_id": "PAT-001", "date_range": {"from": str(period[0]), "to": str(period[1])},
        "options": {"include_vitals": True, "include_medications": True, "include_journal": False, **options}},
        format="json")
    assert response.status_code == 202, response.content
    return response.json()["report_id"]


def finished(report_id) -> AnalysisReport:
    return wait_until(lambda: (report := AnalysisReport.objects.get(pk=report_id)).is_finished and report,
                      timeout=30, what=f"report {report_id}'s end")


def script(model_server, *replies):
    """The model answers these, in order (the last one from then on)."""
    calls = []

    def reply(record):
        calls.append(record.json["messages"])
        return replies[min(len(calls), len(replies)) - 1]

    model_server.reply = reply
    return calls


def test_it_keeps_a_narrative_whose_numbers_are_all_facts(clinician_api, dataset, period, chat_model, model_server,
                                                          worker, inbox):
    calls = script(model_server, good_narrative(period))
    report = finished(ask(clinician_api, period))
    assert (report.status, report.progress, report.narrative_source) == ("done", 100, "model")
    assert report.narrative == good_narrative(period)
    assert report.model == "loopback-chat" and report.error_code == ""
    assert report.fact_check["attempts"] == 1 and report.fact_check["unsupported"] == []
    assert "190/125" not in report.fact_check["numbers"] and {"190", "125", "146"} <= set(report.fact_check["numbers"])
    assert report.facts["vitals"][0]["mean"] == 146
    assert report.facts_ms > 0 and report.narrative_ms > 0 and report.total_ms >= report.facts_ms
    assert report.finished_at and report.runs == 1
    # The model saw the facts table and the rules, and nothing that names the patient.
    (system, user), = [(m[0]["content"], m[1]["content"]) for m in calls]
    assert "every number you write must appear in the facts" in system
    assert "Blood pressure, systolic (mmHg): 5 readings; mean 146" in user
    assert "Alice" not in user and "PAT-001" not in user
    # Progress went to the requester, step by step, without medical text.
    events = inbox()
    assert [(e["type"], e["status"], e["progress"]) for e in events] == [
        ("report.progress", "computing_facts", 10), ("report.progress", "writing", 35),
        ("report.progress", "checking", 75), ("report.ready", "done", 100)]
    assert all(e["report_id"] == report.pk and set(e) <= EVENT_KEYS for e in events)
    assert events[-1]["url"] == f"/reports/{report.pk}/" and events[-1]["narrative_source"] == "model"
    assert "146" not in str(events)


def test_it_asks_again_once_naming_the_wrong_numbers(clinician_api, dataset, period, chat_model, model_server,
                                                     worker, inbox):
    calls = script(model_server, WRONG, good_narrative(period))
    report = finished(ask(clinician_api, period))
    assert (report.status, report.narrative_source, report.narrative) == ("done", "model", good_narrative(period))
    assert report.fact_check["attempts"] == 2 and report.fact_check["unsupported"] == []
    assert len(calls) == 2
    retry = calls[1]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert retry[2]["content"] == WRONG
    assert retry[3]["content"].startswith("These numbers in your summary are not in the facts: 163.")
    events = inbox()
    assert [(e["status"], e["progress"]) for e in events] == [
        ("computing_facts", 10), ("writing", 35), ("checking", 75), ("writing", 80), ("checking", 90), ("done", 100)]
    assert "writing it again" in events[3]["message"] and "writing it again" not in events[1]["message"]


def test_it_renders_the_narrative_from_the_facts_when_the_model_is_wrong_twice(clinician_api, dataset, period,
                                                                                chat_model, model_server,
                                                                                worker):
    calls = script(model_server, WRONG, WRONG + " Adherence was 91%.")
    report = finished(ask(clinician_api, period))
    assert (report.status, report.narrative_source, report.model) == ("done", "facts", "loopback-chat")
    assert report.fact_check["attempts"] == 2 and report.fact_check["unsupported"] == ["163", "91"]
    assert "163" not in report.narrative and "averaged 146 mmHg" in report.narrative
    assert len(calls) == 2


def test_a_summary_that_states_no_figure_is_asked_again_then_replaced_by_the_facts(
        clinician_api, dataset, period, chat_model, model_server, worker):
    vague = "The patient is doing their homework. Everything seems fine and stable."
    calls = script(model_server, vague)
    report = finished(ask(clinician_api, period))
    assert (report.status, report.narrative_source) == ("done", "facts")
    assert report.fact_check["attempts"] == 2 and report.fact_check["cited"] == 0
    assert calls[1][3]["content"].startswith("Your summary does not report the facts.")
    assert "averaged 146 mmHg" in report.narrative


def test_it_renders_the_narrative_from_the_facts_when_no_model_can_serve(clinician_api, dataset, period, chat_model,
                                                                          model_server, worker, inbox):
    model_server.fail_next(500, times=None)
    report = finished(ask(clinician_api, period))
    assert (report.status, report.narrative_source, report.error_code) == ("done", "facts", "model_unavailable")
    assert report.fact_check["attempts"] == 0 and report.model == ""
    assert "averaged 146 mmHg" in report.narrative
    assert inbox()[-1]["type"] == "report.ready"


def test_a_redelivered_task_for_a_done_report_does_nothing(clinician_api, dataset, period, chat_model, model_server,
                                                           worker, inbox):
    script(model_server, good_narrative(period))
    report = finished(ask(clinician_api, period))
    inbox()
    generate_report.apply_async(args=[report.pk], queue="io").get(timeout=10)
    again = AnalysisReport.objects.get(pk=report.pk)
    assert (again.runs, again.finished_at, again.narrative) == (1, report.finished_at, report.narrative)
    assert AnalysisReport.objects.count() == 1
    assert len(model_server.requests) == 1
    assert inbox(final=False) == []


def test_a_redelivered_task_finishes_a_report_whose_worker_died(clinician, dataset, period, chat_model, model_server,
                                                                worker):
    script(model_server, good_narrative(period))
    # What a run that died while the model was writing leaves behind.
    report = AnalysisReport.objects.create(patient=dataset, requested_by=clinician, date_from=period[0],
                                           date_to=period[1], fingerprint="x", status="writing", progress=35,
                                           run_id=uuid.uuid4(), runs=1)
    generate_report.apply_async(args=[report.pk], queue="io").get(timeout=20)
    report.refresh_from_db()
    assert (report.status, report.narrative_source, report.runs) == ("done", "model", 2)
    assert AnalysisReport.objects.count() == 1


def test_a_run_that_lost_the_report_writes_nothing_more(clinician, dataset, period, chat_model, model_server):
    report = AnalysisReport.objects.create(patient=dataset, requested_by=clinician, date_from=period[0],
                                           date_to=period[1], fingerprint="x")

    def taken_over_while_the_model_writes(request):
        AnalysisReport.objects.filter(pk=report.pk).update(run_id=uuid.uuid4())  # as a redelivered run does
        connection.close()  # the model server's thread
        return good_narrative(period)

    model_server.reply = taken_over_while_the_model_writes
    services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert (report.status, report.progress, report.narrative) == ("writing", 35, "")


def test_a_report_whose_facts_fail_ends_as_failed(clinician, record, period, monkeypatch, inbox):
    report = AnalysisReport.objects.create(patient=record, requested_by=clinician, date_from=period[0],
                                           date_to=period[1], fingerprint="x")

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("meditrack.reports.selectors.report_facts", broken)
    with pytest.raises(RuntimeError):
        services.report_generate(report_id=report.pk)
    report.refresh_from_db()
    assert (report.status, report.error_code) == ("failed", "internal_error")
    assert inbox()[-1] == {"type": "report.failed", "report_id": report.pk, "status": "failed",
                           "error_code": "internal_error", "message": "The report could not be written."}


def test_a_missing_report_is_ignored(db):
    services.report_generate(report_id=987654)
