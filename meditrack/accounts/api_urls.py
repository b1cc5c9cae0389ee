from django.urls import path

from meditrack.accounts.api import MeApi, SignupApi, TokenApi

urlpatterns = [
    path("auth/signup", SignupApi.as_view(), name="api-signup"),
    path("auth/token", TokenApi.as_view(), name="api-token"),
    path("users/me", MeApi.as_view(), name="api-me"),
]
