from django.urls import path

from meditrack.accounts.api import InvitationCreateApi, LogoutAllApi, LogoutApi, MeApi, SignupApi, TokenApi

urlpatterns = [
    path("auth/signup", SignupApi.as_view(), name="api-signup"),
    path("auth/token", TokenApi.as_view(), name="api-token"),
    path("auth/logout", LogoutApi.as_view(), name="api-logout"),
    path("auth/logout-all", LogoutAllApi.as_view(), name="api-logout-all"),
    path("patients/<str:patient_id>/invitations", InvitationCreateApi.as_view(), name="api-patient-invitations"),
    path("users/me", MeApi.as_view(), name="api-me"),
]
