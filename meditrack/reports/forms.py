from datetime import timedelta

from django import forms
from django.utils import timezone

DEFAULT_DAYS = 90


class ReportRequestForm(forms.Form):
    """The browser's "generate report" form; the service applies the same rules as the API."""

    patient = forms.CharField(max_length=20, widget=forms.HiddenInput)
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    include_vitals = forms.BooleanField(label="Vital signs", required=False, initial=True)
    include_medications = forms.BooleanField(label="Medications and adherence", required=False, initial=True)
    include_journal = forms.BooleanField(label="Journal entries the patient shared (sentiment only)",
                                         required=False, initial=False)

    @classmethod
    def initial_for(cls, patient_id: str) -> dict:
        today = timezone.localdate()
        return {"patient": patient_id, "date_from": today - timedelta(days=DEFAULT_DAYS - 1), "date_to": today}
