from django.contrib import admin

from meditrack.reports.models import AnalysisReport


@admin.register(AnalysisReport)
class AnalysisReportAdmin(admin.ModelAdmin):
    list_display = ["id", "patient", "status", "narrative_source", "model", "date_from", "date_to", "created_at"]
    list_filter = ["status", "narrative_source"]
    search_fields = ["patient__patient_id"]
    raw_id_fields = ["patient", "requested_by"]
    readonly_fields = ["fingerprint", "run_id", "runs", "facts", "fact_check", "facts_ms", "narrative_ms", "total_ms",
                       "created_at", "started_at", "finished_at"]
