from django.urls import path

from meditrack.inference.api import ModelsApi

urlpatterns = [
    path("models", ModelsApi.as_view(), name="api-models"),
]
