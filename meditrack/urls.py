from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from meditrack.health import HealthView
from meditrack.inference.metrics import metrics_view

api_v1 = [
    path("health", HealthView.as_view(), name="health"),
    path("", include("meditrack.accounts.api_urls")),
    path("", include("meditrack.inference.api_urls")),
    path("", include("assistant.api_urls")),
    path("", include("journal.api_urls")),
    path("", include("meditrack.patients.api_urls")),
    path("", include("meditrack.reports.api_urls")),
    path("", include("speech.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("metrics", metrics_view, name="metrics"),
    # Swagger UI's page holds an inline <style>; the rest of the site allows none.
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
    path("assistant/", include("assistant.urls")),
    path("journal/", include("journal.urls")),
    path("patients/", include("meditrack.patients.urls")),
    path("reports/", include("meditrack.reports.urls")),
    path("practice/", include("speech.urls")),
    path("", include("meditrack.accounts.urls")),
]

handler400 = "meditrack.errors.bad_request"
handler403 = "meditrack.errors.permission_denied"
handler404 = "meditrack.errors.page_not_found"
handler500 = "meditrack.errors.server_error"
