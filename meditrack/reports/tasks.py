from celery import shared_task

from meditrack.reports import services


@shared_task(name="reports.generate_report", acks_late=True, reject_on_worker_lost=True)
def generate_report(report_id: int) -> None:
    """Queued on the queue of the model that writes the narrative (see services.report_queue)."""
    services.report_generate(report_id=report_id)


@shared_task(name="reports.sweep_stuck_reports")
def sweep_stuck_reports() -> int:
    return services.stuck_reports_sweep()
