from rest_framework import serializers

from meditrack.reports.models import AnalysisReport


class DateRangeSerializer(serializers.Serializer):
    def get_fields(self):
        # "from" is a Python keyword: the fields are named here rather than declared.
        return {"from": serializers.DateField(), "to": serializers.DateField()}


class OptionsSerializer(serializers.Serializer):
    include_vitals = serializers.BooleanField(default=True)
    include_medications = serializers.BooleanField(default=True)
    include_journal = serializers.BooleanField(default=False)


class GenerateInputSerializer(serializers.Serializer):
    patient_id = serializers.CharField(max_length=20)
    date_range = DateRangeSerializer()
    options = OptionsSerializer(required=False)


class GenerateOutputSerializer(serializers.Serializer):
    report_id = serializers.IntegerField()
    status = serializers.CharField()


def flat_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"date_range.from": [...]}: the one error shape names each field."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, value in errors.items():
            key = prefix[:-1] if name == "non_field_errors" and prefix else f"{prefix}{name}"
            for k, v in flat_errors(value, f"{key}.").items():
                flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and errors and not isinstance(errors[0], dict | list):
        flat[prefix[:-1]] = [str(e) for e in errors]
    elif isinstance(errors, list):
        for e in errors:
            for k, v in flat_errors(e, prefix).items():
                flat.setdefault(k, []).extend(v)
    else:
        flat[prefix[:-1]] = [str(errors)]
    return flat


class ReportSummarySerializer(serializers.ModelSerializer):
    report_id = serializers.IntegerField(source="pk")
    patient_id = serializers.CharField(source="patient.patient_id")
    date_range = serializers.SerializerMethodField()
    options = serializers.DictField(child=serializers.BooleanField())

    class Meta:
        model = AnalysisReport
        fields = ["report_id", "patient_id", "status", "progress", "date_range", "options", "narrative_source",
                  "model", "error_code", "created_at", "finished_at"]

    def get_date_range(self, report) -> dict:
        return {"from": report.date_from.isoformat(), "to": report.date_to.isoformat()}


class ReportSerializer(ReportSummarySerializer):
    timings = serializers.SerializerMethodField()
    fact_check = serializers.JSONField()
    facts = serializers.JSONField()

    class Meta(ReportSummarySerializer.Meta):
        fields = ReportSummarySerializer.Meta.fields + ["facts", "narrative", "fact_check", "timings", "started_at"]

    def get_timings(self, report) -> dict:
        return {"facts_ms": report.facts_ms, "narrative_ms": report.narrative_ms, "total_ms": report.total_ms}
