"""Analysis reports: asking for one, and writing it (the body of the report task).

A report is written in steps, each pushed to the requester over /ws/notifications/:
facts (PostgreSQL aggregates) → a narrative by the tier's chat model from the facts only → a fact
check of every number in it (see factcheck.py); one re-ask naming the unsupported numbers; then a
narrative rendered from the facts, marked as such. Nothing here logs or notifies medical text.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from meditrack import dateranges
from meditrack.accounts.models import User
from meditrack.accounts.services import user_notify
from meditrack.enqueue import enqueue
from meditrack.errors import ApplicationError
from meditrack.inference import services as inference
from meditrack.inference.errors import InferenceError
from meditrack.inference.types import ChatMessage, Task
from meditrack.patients.selectors import patient_get
from meditrack.reports import factcheck, narrative, selectors
from meditrack.reports.models import AnalysisReport

logger = logging.getLogger("meditrack.reports")

DEDUPE_WINDOW = timedelta(minutes=1)
# A client's clock (and so its "today") may be a day ahead of the server's.
FUTURE_GRACE = timedelta(days=1)
NARRATIVE_MAX_TOKENS = 600
MODEL_ATTEMPTS = 2
# Figures from the facts a model-written summary must state (fewer when the facts hold fewer).
MIN_CITED_FACTS = 3
# Runs a report gets: each redelivery follows a run whose worker died, and a report that kills its worker
# would otherwise be redelivered for ever.
MAX_RUNS = 3
# Past a redelivery's wait and its whole run, no task will finish a report still unfinished.
STUCK_AFTER = timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
                        + settings.CELERY_TASK_TIME_LIMIT + 300)

Status = AnalysisReport.Status
PROGRESS = {Status.QUEUED: 0, Status.COMPUTING_FACTS: 10, Status.WRITING: 35, Status.CHECKING: 75, Status.DONE: 100}
MESSAGES = {
    Status.COMPUTING_FACTS: "Computing the facts…",
    Status.WRITING: "The model is writing the summary…",
    Status.CHECKING: "Checking every number against the facts…",
}
# Shown instead of the writing step's message when the first draft failed the check.
REWRITE_MESSAGE = "The draft had numbers that are not in the facts: the model is writing it again…"


# How each side of a range the dateranges rules refuse is named in the request.
RANGE_FIELDS = {"from": "date_range.from", "range": "date_range"}


def report_range_validate(*, date_from: date, date_to: date, tz: tzinfo) -> None:
    """The range as the report will read it, whole days in ``tz``: the rules of every range
    (meditrack.dateranges), not before its earliest date, and not in the future there (a day's grace for
    a client whose clock is ahead)."""
    earliest = dateranges.EARLIEST_DATE
    if date_from < earliest:
        raise ApplicationError(f"The range may not start before {earliest.isoformat()}.", code="invalid_range",
                               fields={"date_range.from": [f"On or after {earliest.isoformat()}."]})
    try:
        dateranges.check(*dateranges.bounds(date_from, date_to, tz=tz), end_name="date_range.to")
    except dateranges.RangeError as exc:
        raise ApplicationError(exc.detail, code=exc.code,
                               fields={RANGE_FIELDS[exc.bound]: [exc.field_message]}) from None
    today = datetime.now(tz).date()
    if date_from > today:
        raise ApplicationError("The range may not start in the future.", code="invalid_range",
                               fields={"date_range.from": ["May not be in the future."]})
    if date_to > today + FUTURE_GRACE:
        raise ApplicationError("The range may not end in the future.", code="invalid_range",
                               fields={"date_range.to": ["May not be in the future."]})


def _fingerprint(*, user: User, patient_pk: int, date_from: date, date_to: date, options: tuple[bool, ...]) -> str:
    flags = "".join(str(int(o)) for o in options)
    key = f"{user.pk}|{patient_pk}|{date_from.isoformat()}|{date_to.isoformat()}|{flags}"
    return hashlib.sha256(key.encode()).hexdigest()


def report_queue(*, user: User | None) -> str:
    """The queue of the model that will write the narrative (the tier's first chat model), so the task
    runs where that model runs; the default queue when no model can serve (the facts narrative)."""
    default = settings.CELERY_TASK_DEFAULT_QUEUE
    return default if user is None else inference.queue_for(tier=user.tier, task=Task.CHAT, default=default)


def _enqueue(report: AnalysisReport) -> None:
    from meditrack.reports.tasks import generate_report

    # Unsent, the report says so rather than stay queued forever; the same request then asks anew.
    enqueue(generate_report, queue=report_queue(user=report.requested_by), args=(report.pk,),
            undo=lambda: AnalysisReport.objects.filter(pk=report.pk, status=Status.QUEUED).update(
                status=Status.FAILED, error_code="not_queued", finished_at=timezone.now()))


def may_request_reports(*, user: User) -> bool:
    """Whether the user may ask for reports (on the patients they reach): clinicians only. A patient may
    read the reports on their own record but not ask for one (403): reports are a clinician's tool and
    spend the clinician's model calls. The pages ask this too, to offer the form or not."""
    return user.role == User.Role.CLINICIAN


def report_request(*, user: User, patient_id: str, date_from: date, date_to: date, include_vitals: bool = True,
                   include_medications: bool = True, include_journal: bool = False) -> tuple[AnalysisReport, bool]:
    """Ask for a report; (report, created). The same request by the same user within a minute is the
    same report (unless it failed): requests are serialised per fingerprint by a transaction-scoped
    advisory lock, so concurrent identical requests cannot both create one.

    Who: a clinician assigned to the patient (see ``may_request_reports``)."""
    patient = patient_get(user=user, patient_id=patient_id)  # 404 for unknown or foreign
    if not may_request_reports(user=user):
        raise ApplicationError("Only the patient's clinicians may ask for a report.", code="clinicians_only",
                               status_code=403)
    tz = ZoneInfo(user.time_zone)
    report_range_validate(date_from=date_from, date_to=date_to, tz=tz)
    options = (include_vitals, include_medications, include_journal)
    if not any(options):
        raise ApplicationError("Include at least one of vitals, medications or journal.", code="nothing_to_report",
                               fields={"options": ["Include at least one part."]})
    fingerprint = _fingerprint(user=user, patient_pk=patient.pk, date_from=date_from, date_to=date_to,
                               options=options)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(fingerprint[:15], 16)])
        recent = (AnalysisReport.objects.filter(fingerprint=fingerprint, created_at__gte=timezone.now() - DEDUPE_WINDOW)
                  .exclude(status=Status.FAILED).first())  # a failed report may be asked for again at once
        if recent is not None:
            return recent, False
        report = AnalysisReport.objects.create(
            patient=patient, requested_by=user, date_from=date_from, date_to=date_to, time_zone=user.time_zone,
            include_vitals=include_vitals, include_medications=include_medications, include_journal=include_journal,
            fingerprint=fingerprint)
        _enqueue(report)
    return report, True


# -- writing the report (the task) --------------------------------------------------------------


class _Superseded(Exception):
    """Another run of the task took the report over: this one stops writing."""


def _notify(report: AnalysisReport, event: dict) -> None:
    if report.requested_by_id is None:
        return
    try:
        user_notify(user_id=report.requested_by_id, event={"report_id": report.pk, **event})
    except Exception:  # a notification lost must not lose the report
        logger.warning("report notification failed", extra={"report_id": report.pk}, exc_info=True)


def _advance(report: AnalysisReport, run_id: uuid.UUID, *, notify: bool = True, message: str | None = None,
             **fields) -> None:
    """Save these fields if this run still owns the report, and push the progress."""
    if not AnalysisReport.objects.filter(pk=report.pk, run_id=run_id).update(**fields):
        raise _Superseded
    for name, value in fields.items():
        setattr(report, name, value)
    if notify and "status" in fields:
        _notify(report, {"type": "report.progress", "status": report.status, "progress": report.progress,
                         "message": message or MESSAGES.get(report.status, "Working…")})


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def _write_narrative(report: AnalysisReport, run_id: uuid.UUID, facts: dict) -> dict:
    """Ask the model (at most twice), check each draft; the fields to save with the narrative."""
    allowed = factcheck.allowed_from_facts(facts)
    user = report.requested_by
    conversation = [ChatMessage(role, content) for role, content in narrative.prompt(facts)]
    check, model, attempts, error_code, draft = None, "", 0, "", ""
    started = time.perf_counter()
    try:
        if user is None:
            raise ApplicationError("The requester's account is gone.", code="no_requester")
        for attempt in range(1, MODEL_ATTEMPTS + 1):
            if attempt > 1:
                _advance(report, run_id, status=Status.WRITING, progress=80, message=REWRITE_MESSAGE)
            reply = inference.chat_complete(user=user, messages=conversation, max_new_tokens=NARRATIVE_MAX_TOKENS)
            model, attempts, draft = reply.model, attempt, reply.text.strip()
            _advance(report, run_id, status=Status.CHECKING, progress=75 if attempt == 1 else 90)
            check = factcheck.check(draft, allowed)
            check.required = min(MIN_CITED_FACTS, len(allowed.numbers))
            if not draft:
                check.unsupported.append("(empty)")
            if check.ok:
                break
            conversation += [ChatMessage("assistant", reply.text),
                             ChatMessage("user", narrative.retry_prompt(check.unsupported))]
    except (InferenceError, ApplicationError) as exc:
        error_code = exc.code
        logger.warning("report narrative fell back to the facts", extra={"report_id": report.pk, "reason": exc.code})
    fields = {"model": model, "narrative_ms": _ms(started), "error_code": error_code,
              "fact_check": {**(check.as_dict() if check else {"numbers": [], "unsupported": []}),
                             "attempts": attempts}}
    if check is not None and check.ok:
        fields.update(narrative=draft, narrative_source=AnalysisReport.NarrativeSource.MODEL)
    else:
        fields.update(narrative=narrative.render_from_facts(facts),
                      narrative_source=AnalysisReport.NarrativeSource.FACTS)
    logger.info("report narrative", extra={"report_id": report.pk, "model": model, "attempts": attempts,
                                           "source": fields["narrative_source"],
                                           "unsupported": len(check.unsupported) if check else None})
    return fields


def report_generate(*, report_id: int) -> None:
    """The body of the report task. Idempotent: a finished report is left alone; a report whose earlier
    run died is written again from the start into the same row (never a second report); a run that
    a later one took over stops at its next step."""
    run_id = uuid.uuid4()
    now = timezone.now()
    unfinished = AnalysisReport.objects.filter(pk=report_id).exclude(status__in=AnalysisReport.FINISHED)
    if unfinished.filter(runs__gte=MAX_RUNS).update(status=Status.FAILED, error_code="worker_lost", finished_at=now):
        logger.error("report given up after its runs died", extra={"report_id": report_id, "runs": MAX_RUNS})
        _notify_failed(AnalysisReport.objects.get(pk=report_id), "worker_lost")
        return
    claimed = (unfinished
               .update(run_id=run_id, runs=F("runs") + 1, status=Status.COMPUTING_FACTS,
                       progress=PROGRESS[Status.COMPUTING_FACTS], started_at=now))
    if not claimed:
        return
    report = AnalysisReport.objects.select_related("patient", "requested_by").get(pk=report_id)
    _notify(report, {"type": "report.progress", "status": report.status, "progress": report.progress,
                     "message": MESSAGES[Status.COMPUTING_FACTS]})
    started = time.perf_counter()
    try:
        facts = selectors.report_facts(patient=report.patient, date_from=report.date_from, date_to=report.date_to,
                                       tz=ZoneInfo(report.time_zone), include_vitals=report.include_vitals,
                                       include_medications=report.include_medications,
                                       include_journal=report.include_journal)
        _advance(report, run_id, status=Status.WRITING, progress=PROGRESS[Status.WRITING], facts=facts,
                 facts_ms=_ms(started))
        fields = _write_narrative(report, run_id, facts)
        _advance(report, run_id, notify=False, status=Status.DONE, progress=100, total_ms=_ms(started),
                 finished_at=timezone.now(), **fields)
    except _Superseded:
        logger.info("report run superseded", extra={"report_id": report_id})
        return
    except SoftTimeLimitExceeded:
        _fail(report, run_id, "timeout", started)
        return
    except Exception:
        logger.exception("report failed", extra={"report_id": report_id})
        _fail(report, run_id, "internal_error", started)
        raise
    _notify(report, {"type": "report.ready", "status": Status.DONE, "progress": 100,
                     "narrative_source": report.narrative_source, "url": reverse("reports:detail", args=[report.pk]),
                     "message": "Your report is ready."})


def _fail(report: AnalysisReport, run_id: uuid.UUID, code: str, started: float) -> None:
    updated = AnalysisReport.objects.filter(pk=report.pk, run_id=run_id).update(
        status=Status.FAILED, error_code=code, total_ms=_ms(started), finished_at=timezone.now())
    if updated:
        _notify_failed(report, code)


def _notify_failed(report: AnalysisReport, code: str) -> None:
    _notify(report, {"type": "report.failed", "status": Status.FAILED, "error_code": code,
                     "message": "The report could not be written."})


def stuck_reports_sweep() -> int:
    """Reports never started (their message was lost) or started and never finished end as failed, so their
    requester sees it and may ask again."""
    cutoff = timezone.now() - STUCK_AFTER
    unfinished = AnalysisReport.objects.exclude(status__in=AnalysisReport.FINISHED)
    never_started = unfinished.filter(status=Status.QUEUED, created_at__lt=cutoff)
    never_finished = unfinished.exclude(status=Status.QUEUED).filter(started_at__lt=cutoff)
    stuck = [*((report, "not_started") for report in never_started),
             *((report, "stalled") for report in never_finished)]
    swept = 0
    for report, code in stuck:
        # Only if no run claimed it meanwhile.
        if AnalysisReport.objects.filter(pk=report.pk, status=report.status, run_id=report.run_id).update(
                status=Status.FAILED, error_code=code, finished_at=timezone.now()):
            _notify_failed(report, code)
            swept += 1
    if swept:
        logger.warning("swept stuck reports", extra={"count": swept})
    return swept
