"""Report pages: ask for a report (with live progress), read one (printable), list them."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from meditrack.errors import ApplicationError
from meditrack.patients.selectors import patient_get, patients_visible_to
from meditrack.reports import selectors, services
from meditrack.reports.forms import ReportRequestForm
from meditrack.reports.models import AnalysisReport

FORM_FIELDS = {"date_range.from": "date_from", "date_range.to": "date_to", "date_range": "date_from",
               "options": "include_vitals"}


@login_required
def index(request):
    patient_id = request.GET.get("patient") or None
    patient = patient_get(user=request.user, patient_id=patient_id) if patient_id else None
    reports = selectors.report_list(user=request.user, patient_id=patient_id)[:200]
    return render(request, "reports/list.html", {"patient": patient, "reports": reports,
                                                 "can_generate": services.may_request_reports(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    patient_id = request.POST.get("patient") or request.GET.get("patient") or ""
    patient = patient_get(user=request.user, patient_id=patient_id) if patient_id else None  # 404: unknown, foreign
    if not services.may_request_reports(user=request.user):
        raise PermissionDenied
    if patient is None:
        return render(request, "reports/choose_patient.html", {"patients": patients_visible_to(user=request.user)})
    form = ReportRequestForm(request.POST or None, initial=ReportRequestForm.initial_for(patient.patient_id))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report, _ = services.report_request(
                user=request.user, patient_id=patient.patient_id, date_from=data["date_from"],
                date_to=data["date_to"], include_vitals=data["include_vitals"],
                include_medications=data["include_medications"], include_journal=data["include_journal"])
        except ApplicationError as exc:
            for field, errors in (exc.fields or {"": [exc.detail]}).items():
                for error in errors:
                    form.add_error(FORM_FIELDS.get(field), error)
        else:
            return redirect("reports:detail", report_id=report.pk)
    recent = selectors.report_list(user=request.user, patient_id=patient.patient_id)[:5]
    return render(request, "reports/new.html", {"patient": patient, "form": form, "recent": recent})


@login_required
def detail(request, report_id: int):
    report = selectors.report_get(user=request.user, report_id=report_id)
    return render(request, "reports/detail.html", {
        "report": report,
        "facts": report.facts or {},
        "finished": report.is_finished,
        "statuses": [s for s in AnalysisReport.Status.values if s != AnalysisReport.Status.FAILED],
    })
