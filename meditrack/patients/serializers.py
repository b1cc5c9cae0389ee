from collections.abc import Mapping
from datetime import UTC, date, datetime

from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from meditrack.patients import thresholds
from meditrack.patients.models import CareAlert, Medication, MedicationIntake, Patient, Vital


@extend_schema_field(OpenApiTypes.DATETIME)
class DateOrDateTimeField(serializers.Field):
    """An ISO date (a whole day) or an ISO datetime."""

    default_error_messages = {"invalid": "Use an ISO date (2024-05-01) or datetime (2024-05-01T08:30:00Z)."}

    def to_internal_value(self, data) -> date | datetime:
        text = str(data).strip()
        try:
            value = parse_date(text) if len(text) == 10 else parse_datetime(text)
        except ValueError:
            value = None
        if value is None:
            self.fail("invalid")
        if isinstance(value, datetime) and value.tzinfo is not None:
            # Python reads offsets up to ±23:59, PostgreSQL takes ±15:59 (a 500): the same instant in UTC.
            try:
                value = value.astimezone(UTC)
            except OverflowError:  # before year 1 in UTC
                self.fail("invalid")
        return value

    def to_representation(self, value):
        return value.isoformat()


class RangeQuerySerializer(serializers.Serializer):
    from_ = DateOrDateTimeField(required=False)
    to = DateOrDateTimeField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # "from" is a Python keyword
        return fields


class VitalQuerySerializer(RangeQuerySerializer):
    kind = serializers.ChoiceField(choices=Vital.Kind.choices, required=False)


class IntakeQuerySerializer(RangeQuerySerializer):
    medication = serializers.IntegerField(required=False, min_value=1)


class ClinicianSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField(source="get_full_name")


class PatientSerializer(serializers.ModelSerializer):
    clinicians = ClinicianSerializer(many=True, read_only=True)
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = ["patient_id", "name", "date_of_birth", "sex", "conditions", "has_account", "clinicians",
                  "created_at"]

    def get_has_account(self, patient) -> bool:
        return patient.user_id is not None


class PatientCreateSerializer(serializers.Serializer):
    """A new record. Unknown fields are refused (400, naming them) rather than ignored: a client that tries
    to link a record to an account (that is for the admin only) learns that it did not happen."""

    patient_id = serializers.CharField(max_length=20, required=False, help_text="Leave out for the next PAT-###.")
    name = serializers.CharField(max_length=150)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, required=False, default=Patient.Sex.UNKNOWN)
    conditions = serializers.ListField(child=serializers.CharField(max_length=100, allow_blank=True), max_length=50,
                                       required=False)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class PatientUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    sex = serializers.ChoiceField(choices=Patient.Sex.choices, required=False)
    conditions = serializers.ListField(child=serializers.CharField(max_length=100, allow_blank=True), max_length=50,
                                       required=False)


class VitalSerializer(serializers.ModelSerializer):
    out_of_range = serializers.SerializerMethodField()

    class Meta:
        model = Vital
        fields = ["id", "kind", "value", "unit", "measured_at", "source", "out_of_range"]

    def get_out_of_range(self, vital) -> bool:
        return thresholds.is_out_of_range(vital.kind, vital.value)


class VitalInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Vital.Kind.choices)
    value = serializers.FloatField()
    unit = serializers.CharField(max_length=16, help_text="Must fit the kind, e.g. mmHg, bpm, mg/dL or mmol/L.")
    measured_at = serializers.DateTimeField()
    source = serializers.ChoiceField(choices=Vital.Source.choices, default=Vital.Source.MANUAL,
                                     help_text="manual or device; fhir is set by bundle imports only.")


class AdherenceSerializer(serializers.Serializer):
    medication_id = serializers.IntegerField()
    scheduled = serializers.IntegerField()
    taken = serializers.IntegerField(help_text="Taken on time.")
    late = serializers.IntegerField()
    missed = serializers.IntegerField()
    adherence = serializers.FloatField(allow_null=True, help_text="(taken + late) / scheduled.")
    on_time = serializers.FloatField(allow_null=True, help_text="taken on time / scheduled.")


class MedicationSerializer(serializers.ModelSerializer):
    adherence = serializers.SerializerMethodField()

    class Meta:
        model = Medication
        fields = ["id", "name", "dose", "unit", "schedule", "start", "end", "prescriber", "adherence"]

    @extend_schema_field(AdherenceSerializer(allow_null=True))
    def get_adherence(self, medication):
        adherence = self.context.get("adherence", {}).get(medication.pk)
        return AdherenceSerializer(adherence).data if adherence else None


class MedicationInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    dose = serializers.FloatField()
    unit = serializers.CharField(max_length=16, help_text="mg, g, mcg, mL, IU, unit, tablet, capsule, puff, …")
    schedule = serializers.CharField(max_length=100, help_text="e.g. 'twice daily'.")
    start = serializers.DateField()
    end = serializers.DateField(required=False, allow_null=True)
    prescriber = serializers.CharField(max_length=150, required=False, allow_blank=True)


class MedicationUpdateSerializer(MedicationInputSerializer):
    def get_fields(self):
        fields = super().get_fields()
        for f in fields.values():
            f.required = False
        return fields


class IntakeSerializer(serializers.ModelSerializer):
    medication = serializers.IntegerField(source="medication_id")

    class Meta:
        model = MedicationIntake
        fields = ["id", "medication", "scheduled_at", "taken_at", "status"]


class IntakeInputSerializer(serializers.Serializer):
    medication = serializers.IntegerField(min_value=1)
    scheduled_at = serializers.DateTimeField()
    taken_at = serializers.DateTimeField(required=False, allow_null=True,
                                         help_text="Leave out (or null) for a missed dose.")


class ImportedCountsSerializer(serializers.Serializer):
    vitals = serializers.IntegerField()
    medications = serializers.IntegerField()


class ImportResultSerializer(serializers.Serializer):
    imported = ImportedCountsSerializer(source="*")
    duplicates = serializers.IntegerField(help_text="Already there, not imported again.")
    skipped = serializers.ListField(child=serializers.DictField(), help_text="Entries deliberately not imported.")


class CareAlertSerializer(serializers.ModelSerializer):
    seen_by = serializers.CharField(source="seen_by.get_full_name", default=None, allow_null=True, read_only=True)

    class Meta:
        model = CareAlert
        fields = ["id", "kind", "raised_at", "seen_at", "seen_by"]


class CareAlertQuerySerializer(serializers.Serializer):
    open = serializers.BooleanField(required=False, default=False, help_text="Only alerts nobody has marked seen.")
