"""A clinician opens a patient, asks for a report and watches it being written."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meditrack.patients.models import Vital


@pytest.fixture
def blood_pressure(record):
    """A week of readings in the report's default range."""
    for day, (systolic, diastolic) in enumerate([(128, 82), (135, 88), (142, 91), (138, 86), (131, 84)]):
        measured_at = timezone.now() - timedelta(days=7 - day)
        Vital.objects.create(patient=record, kind="bp_systolic", value=systolic, unit="mmHg", measured_at=measured_at)
        Vital.objects.create(patient=record, kind="bp_diastolic", value=diastolic, unit="mmHg",
                             measured_at=measured_at)
    return record


def test_a_clinician_opens_a_patient_and_watches_a_report_being_written(clinician, blood_pressure, chat_model,
                                                                         model_server, procfile_stack, browser):
    model_server.token_delay = 0.3  # each draft takes a few seconds: long enough to be seen
    page = browser.open(procfile_stack("web", "io"), user=clinician)

    page.goto("/patients/")
    page.get_by_role("link", name="Alice Example").click()
    expect(page.get_by_role("heading", name="Alice Example")).to_be_visible()
    expect(page.locator("main")).to_contain_text("cared for by Dr. Carol")
    expect(page.get_by_text("5 readings").first).to_be_visible()
    browser.step("the patient's page")

    page.get_by_role("link", name="Generate report").click()
    page.get_by_role("button", name="Generate report").click()
    expect(page.locator("#progress-message")).to_have_text("The model is writing the summary…")
    browser.step("the model writes the summary")

    expect(page.get_by_role("heading", name="Summary")).to_be_visible(timeout=30_000)
    expect(page.locator(".report-meta")).to_contain_text("Done")
    expect(page.get_by_role("row", name="Blood pressure, systolic")).to_contain_text("134.8")  # the mean
    browser.step("the report")
