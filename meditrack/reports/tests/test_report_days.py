"""A report's days are whole days in its requester's time zone: the range they ask for is the range its
validation reads and the range its facts cover."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from meditrack.reports import services
from meditrack.reports.models import AnalysisReport
from meditrack.reports.tests.conftest import vital

pytestmark = pytest.mark.django_db


def in_zone(user, name: str) -> ZoneInfo:
    user.time_zone = name
    user.save(update_fields=["time_zone"])
    return ZoneInfo(name)


def written(api, date_from, date_to) -> AnalysisReport:
    """The report asked for through the API, written by the task's body (the loopback server as the model)."""
    response = api.post("/api/v1/ai-analysis/generate", {
        "patient_id": "PAT-001", "date_range": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "options": {"include_medications": False}}, format="json")
    assert response.status_code == 202, response.json()
    services.report_generate(report_id=response.json()["report_id"])
    return AnalysisReport.objects.get(pk=response.json()["report_id"])


def test_a_reading_late_on_the_last_day_in_the_requesters_time_zone_is_in_the_report(clinician, clinician_api,
                                                                                      record, chat_model):
    tz = in_zone(clinician, "America/New_York")
    last_day = datetime.now(tz).date() - timedelta(days=7)
    vital(record, "heart_rate", 70, datetime.combine(last_day, time(23, 30), tzinfo=tz))  # the next day in UTC
    vital(record, "heart_rate", 90, datetime.combine(last_day + timedelta(days=1), time(0, 30), tzinfo=tz))
    report = written(clinician_api, last_day - timedelta(days=6), last_day)
    [heart_rate] = report.facts["vitals"]
    assert (heart_rate["count"], heart_rate["max"]) == (1, 70)
    assert heart_rate["last_date"] == heart_rate["highest"]["date"] == last_day.isoformat()
    assert report.time_zone == "America/New_York"


def test_a_report_covers_the_days_its_validation_allowed(clinician, clinician_api, record, chat_model):
    # Far ahead of UTC, "today" here is tomorrow there for ten hours of the day, and its first hours are
    # yesterday in UTC all day long.
    tz = in_zone(clinician, "Pacific/Kiritimati")
    today = datetime.now(tz).date()
    vital(record, "heart_rate", 70, datetime.combine(today, time(0, 30), tzinfo=tz))
    report = written(clinician_api, today, today)
    assert [v["count"] for v in report.facts["vitals"]] == [1]
