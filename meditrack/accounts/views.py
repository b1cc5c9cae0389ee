from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import ScopedRateThrottle

from meditrack.accounts import services
from meditrack.accounts.api import SignupApi
from meditrack.accounts.forms import ProfileForm, SignupForm
from meditrack.errors import ApplicationError


def address_throttled(request) -> bool:
    """One budget per client address for the pages that need no password (signup, reset), shared
    with the API's signup and token endpoints."""
    return not ScopedRateThrottle().allow_request(request, SignupApi)


def too_many_attempts(request):
    return render(request, "accounts/locked_out.html",
                  {"detail": "Too many attempts from your address. Try again in a minute."}, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, throttled per address: each request sends an email to whoever owns the address."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"

    def post(self, request, *args, **kwargs):
        if address_throttled(request):
            return too_many_attempts(request)
        return super().post(request, *args, **kwargs)


@login_required
def home(request):
    return render(request, "home.html")


@require_http_methods(["GET", "POST"])
def signup(request):
    form = SignupForm(request.POST or None)
    if request.method == "POST" and address_throttled(request):
        return too_many_attempts(request)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(**form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to MediTrack.")
            return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """Nothing of the record shows before the invitation is accepted: the link alone proves nothing
    about who holds it, beyond being signed in."""
    if request.method == "POST":
        try:
            services.invitation_accept(user=request.user, token=token)
        except ApplicationError as exc:
            return render(request, "accounts/invitation.html", {"error": exc.detail}, status=exc.status_code)
        messages.success(request, "Your health record is now linked to your account.")
        return redirect("home")
    return render(request, "accounts/invitation.html")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.user_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})
