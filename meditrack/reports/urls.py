from django.urls import path

from meditrack.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("new", views.new, name="new"),
    path("<int:report_id>/", views.detail, name="detail"),
]
