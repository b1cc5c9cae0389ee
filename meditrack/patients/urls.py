from django.urls import path

from meditrack.patients import views

app_name = "patients"
urlpatterns = [
    path("", views.index, name="index"),
    path("<str:patient_id>/", views.detail, name="detail"),
    path("<str:patient_id>/alerts/<int:alert_id>/seen", views.alert_seen, name="alert_seen"),
]
