from django.urls import path

from meditrack.patients import api

urlpatterns = [
    path("patients/", api.PatientListApi.as_view(), name="api-patients"),
    path("patients", api.PatientListApi.as_view(schema=None)),  # the same without the slash, undocumented
    path("patients/<str:patient_id>", api.PatientDetailApi.as_view(), name="api-patient"),
    path("patients/<str:patient_id>/vitals", api.VitalListApi.as_view(), name="api-patient-vitals"),
    path("patients/<str:patient_id>/medications", api.MedicationListApi.as_view(), name="api-patient-medications"),
    path("patients/<str:patient_id>/medications/<int:medication_id>", api.MedicationDetailApi.as_view(),
         name="api-patient-medication"),
    path("patients/<str:patient_id>/intakes", api.IntakeListApi.as_view(), name="api-patient-intakes"),
    path("patients/<str:patient_id>/alerts", api.CareAlertListApi.as_view(), name="api-patient-alerts"),
    path("patients/<str:patient_id>/alerts/<int:alert_id>/seen", api.CareAlertSeenApi.as_view(),
         name="api-patient-alert-seen"),
    path("patients/<str:patient_id>/fhir", api.FhirApi.as_view(), name="api-patient-fhir"),
]
