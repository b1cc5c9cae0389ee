from django.contrib import admin

from meditrack.patients.models import CareAlert, CareAssignment, Medication, MedicationIntake, Patient, Vital


class CareAssignmentInline(admin.TabularInline):
    model = CareAssignment
    extra = 1
    autocomplete_fields = ["clinician"]


class MedicationInline(admin.TabularInline):
    model = Medication
    extra = 0
    fields = ["name", "dose", "unit", "schedule", "start", "end", "prescriber"]
    show_change_link = True


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["patient_id", "name", "date_of_birth", "sex", "user", "created_at"]
    list_filter = ["sex"]
    search_fields = ["patient_id", "name", "user__email"]
    autocomplete_fields = ["user"]
    inlines = [CareAssignmentInline, MedicationInline]


@admin.register(CareAssignment)
class CareAssignmentAdmin(admin.ModelAdmin):
    list_display = ["patient", "clinician", "assigned_at"]
    search_fields = ["patient__patient_id", "patient__name", "clinician__email"]
    autocomplete_fields = ["patient", "clinician"]


@admin.register(Vital)
class VitalAdmin(admin.ModelAdmin):
    list_display = ["patient", "kind", "value", "unit", "measured_at", "source"]
    list_filter = ["kind", "source"]
    search_fields = ["patient__patient_id"]
    date_hierarchy = "measured_at"
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]


@admin.register(Medication)
class MedicationAdmin(admin.ModelAdmin):
    list_display = ["patient", "name", "dose", "unit", "schedule", "start", "end", "prescriber"]
    search_fields = ["patient__patient_id", "name"]
    list_select_related = ["patient"]
    raw_id_fields = ["patient"]


@admin.register(MedicationIntake)
class MedicationIntakeAdmin(admin.ModelAdmin):
    list_display = ["medication", "scheduled_at", "taken_at", "status"]
    list_filter = ["status"]
    search_fields = ["medication__patient__patient_id", "medication__name"]
    date_hierarchy = "scheduled_at"
    list_select_related = ["medication__patient"]
    raw_id_fields = ["medication"]


@admin.register(CareAlert)
class CareAlertAdmin(admin.ModelAdmin):
    list_display = ["patient", "kind", "raised_at", "seen_at", "seen_by"]
    list_select_related = ["patient", "seen_by"]
    list_filter = ["kind", ("seen_at", admin.EmptyFieldListFilter)]
    search_fields = ["patient__patient_id", "patient__name"]
    readonly_fields = ["patient", "kind", "raised_at", "seen_at", "seen_by"]

    def has_add_permission(self, request):
        return False  # alerts come from what patients write, never typed in by hand
