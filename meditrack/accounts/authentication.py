from zoneinfo import ZoneInfo

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication

from meditrack.accounts.models import normalize_email


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's bearer tokens, with the request in the user's own time zone: the time zone middleware runs
    before DRF authenticates, so it sees only browser sessions. Its override ends with the request."""

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            timezone.activate(ZoneInfo(authenticated[0].time_zone))
        return authenticated


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI schema describes it as drf-spectacular describes knox's."""

    target_class = TokenAuthentication


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout for every sign-in that comes with a request (the API, the login pages,
    the admin). One without a request is no one's guess from outside (a shell, a test client's
    login), so it is left to the model backend rather than refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_username(request, credentials) -> str:
    """The account an attempt was for, as we store emails: ALICE@ and alice@ share one count."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    return normalize_email(username)


def lockout_response(request, *_response_and_credentials) -> HttpResponse:
    detail = f"Too many failed sign-ins. Try again in {settings.AXES_COOLOFF_TIME.seconds // 60} minutes."
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": "locked_out", "detail": detail}}, status=429)
    return render(request, "accounts/locked_out.html", {"detail": detail}, status=429)
