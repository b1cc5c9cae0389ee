from django.urls import path

from meditrack.reports import api

urlpatterns = [
    path("ai-analysis/generate", api.GenerateApi.as_view(), name="api-report-generate"),
    path("reports", api.ReportListApi.as_view(), name="api-reports"),
    path("reports/<int:report_id>", api.ReportDetailApi.as_view(), name="api-report"),
]
