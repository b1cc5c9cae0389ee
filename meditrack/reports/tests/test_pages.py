"""The report pages: new (form), detail (facts, narrative, badge, print), list; 404 for the wrong user."""

import html as html_lib
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meditrack.reports import factcheck, narrative, selectors
from meditrack.reports.models import AnalysisReport

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def done_report(dataset, clinician, period):
    facts = selectors.report_facts(patient=dataset, date_from=period[0], date_to=period[1], include_journal=True)
    return AnalysisReport.objects.create(
        patient=dataset, requested_by=clinician, date_from=period[0], date_to=period[1], include_journal=True,
        fingerprint="x", status="done", progress=100, facts=facts, narrative="Systolic pressure averaged **146** mmHg.",
        narrative_source="model", model="loopback-chat", facts_ms=3.5, narrative_ms=120.0, total_ms=130.0,
        fact_check={"numbers": ["146"], "unsupported": [], "attempts": 1})


def test_it_shows_the_new_report_form_with_the_last_90_days(clinician, record):
    response = browser(clinician).get(reverse("reports:new") + "?patient=PAT-001")
    assert response.status_code == 200
    html = response.content.decode()
    today = timezone.localdate()
    assert f'value="{(today - timedelta(days=89)).isoformat()}"' in html and f'value="{today.isoformat()}"' in html
    assert 'name="include_vitals"' in html and 'name="include_medications"' in html and 'name="include_journal"' in html
    assert "css/reports.css" in html and "js/reports.js" in html
    assert 'id="report-progress"' in html


def test_it_lets_a_clinician_choose_a_patient_first(clinician, record, foreign_record):
    html = browser(clinician).get(reverse("reports:new")).content.decode()
    assert "?patient=PAT-001" in html and "PAT-002" not in html


def test_it_generates_a_report_from_the_plain_form_too(clinician, record, period):
    response = browser(clinician).post(reverse("reports:new") + "?patient=PAT-001", {
        "patient": "PAT-001", "date_from": period[0].isoformat(), "date_to": period[1].isoformat(),
        "include_vitals": "on"})
    report = AnalysisReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:detail", args=[report.pk])
    assert (report.include_vitals, report.include_medications, report.include_journal) == (True, False, False)


def test_it_shows_range_errors_on_the_form(clinician, record, period):
    response = browser(clinician).post(reverse("reports:new") + "?patient=PAT-001", {
        "patient": "PAT-001", "date_from": period[1].isoformat(), "date_to": period[0].isoformat(),
        "include_vitals": "on"})
    assert response.status_code == 200
    assert "Must be on or before date_range.to." in response.content.decode()
    assert AnalysisReport.objects.count() == 0


def test_it_shows_the_report_with_facts_narrative_badge_and_timings(clinician, done_report):
    response = browser(clinician).get(reverse("reports:detail", args=[done_report.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "written by loopback-chat, every number checked" in html
    assert "<strong>146</strong>" in html
    assert "Blood pressure, systolic" in html and "Lisinopril" in html and "90%" in html
    assert "190/125" in html and "Hypoxaemia".lower() in html
    assert "Shared journal" in html and "private words" not in html
    assert "130 ms" in html and 'id="print"' in html and "@media print" not in html  # the print CSS is in reports.css
    assert 'data-finished="1"' in html


def test_it_marks_a_narrative_rendered_from_the_facts(clinician, done_report):
    AnalysisReport.objects.filter(pk=done_report.pk).update(
        narrative_source="facts", fact_check={"numbers": ["147"], "unsupported": ["147"], "attempts": 2})
    html = browser(clinician).get(reverse("reports:detail", args=[done_report.pk])).content.decode()
    assert "rendered from the facts" in html and "every number checked" not in html
    assert "(147)" in html


def test_it_shows_every_figure_the_model_is_given_in_the_facts_on_the_page(clinician, done_report):
    # A narrative may quote any figure of the model's facts (or the facts-rendered summary): the reader
    # must find each one in the report's tables, not only in a JSON the page does not show.
    facts = done_report.facts
    quotable = narrative.facts_table(facts) + "\n" + narrative.render_from_facts(facts)
    AnalysisReport.objects.filter(pk=done_report.pk).update(narrative="", narrative_source="facts")
    page = browser(clinician).get(reverse("reports:detail", args=[done_report.pk])).content.decode()
    shown = html_lib.unescape(re.sub(r"<[^>]+>", " ", page.split('<section class="card report-meta">')[0]))
    result = factcheck.check(quotable, factcheck.allowed_from_facts({"page": shown}))
    assert result.numbers and result.unsupported == []


def test_it_follows_an_unfinished_report_live(clinician, record, period):
    report = AnalysisReport.objects.create(patient=record, requested_by=clinician, date_from=period[0],
                                           date_to=period[1], fingerprint="x", status="writing", progress=35)
    html = browser(clinician).get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'data-finished="0"' in html and 'data-status="writing"' in html and 'data-progress="35"' in html


def test_it_lists_reports(clinician, done_report):
    html = browser(clinician).get(reverse("reports:index") + "?patient=PAT-001").content.decode()
    assert reverse("reports:detail", args=[done_report.pk]) in html and "New report" in html


def test_it_shows_the_patient_their_reports_but_not_the_form(patient, done_report):
    client = browser(patient)
    assert client.get(reverse("reports:detail", args=[done_report.pk])).status_code == 200
    html = client.get(reverse("reports:index")).content.decode()
    assert reverse("reports:detail", args=[done_report.pk]) in html and "New report" not in html
    assert client.get(reverse("reports:new") + "?patient=PAT-001").status_code == 403
    assert client.post(reverse("reports:new") + "?patient=PAT-001", {"patient": "PAT-001"}).status_code == 403


def test_it_answers_404_to_another_clinician_on_every_page(other_clinician, other_patient, done_report):
    for user in (other_clinician, other_patient):
        client = browser(user)
        assert client.get(reverse("reports:detail", args=[done_report.pk])).status_code == 404
        assert client.get(reverse("reports:detail", args=[done_report.pk + 1000])).status_code == 404
        assert client.get(reverse("reports:index") + "?patient=PAT-001").status_code == 404
        assert client.get(reverse("reports:new") + "?patient=PAT-001").status_code == 404
        assert client.post(reverse("reports:new") + "?patient=PAT-001", {"patient": "PAT-001"}).status_code == 404
        listed = client.get(reverse("reports:index")).content.decode()
        assert reverse("reports:detail", args=[done_report.pk]) not in listed
    assert AnalysisReport.objects.count() == 1


def test_it_sends_anonymous_visitors_to_sign_in(client, done_report):
    response = client.get(reverse("reports:detail", args=[done_report.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_answers_404_for_a_patient_id_with_a_nul_byte(clinician, done_report):
    client = browser(clinician)
    assert client.get(reverse("reports:new") + "?patient=PAT%00").status_code == 404
    assert client.post(reverse("reports:new"), {"patient": "PAT\x00"}).status_code == 404
    assert client.get(reverse("reports:index") + "?patient=PAT%00").status_code == 404


def test_it_leaves_who_may_ask_for_a_report_to_the_service(clinician, patient, record, monkeypatch):
    from meditrack.reports import services

    monkeypatch.setattr(services, "may_request_reports", lambda *, user: user != clinician)
    client = browser(clinician)
    assert client.get(reverse("reports:new") + "?patient=PAT-001").status_code == 403
    assert client.get(reverse("reports:new")).status_code == 403
    assert "New report" not in client.get(reverse("reports:index")).content.decode()
    client = browser(patient)
    assert client.get(reverse("reports:new") + "?patient=PAT-001").status_code == 200
    assert "New report" in client.get(reverse("reports:index")).content.decode()
