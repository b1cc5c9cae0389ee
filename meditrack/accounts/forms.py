from django import forms
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm

from meditrack.accounts.models import User
from meditrack.accounts.services import time_zones


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254)
    display_name = forms.CharField(max_length=150, required=False, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, max_length=128, strip=False,
                               help_text="At least 10 characters, not a common password.")
    # Filled in by the browser (static/js/timezone.js).
    time_zone = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)


class ProfileForm(forms.ModelForm):
    time_zone = forms.TypedChoiceField(label="Time zone", help_text="Where your days begin and end in your journal.")

    class Meta:
        model = User
        fields = ["display_name", "language", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(zone, zone) for zone in sorted(time_zones())]


class AdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class AdminChangeForm(BaseUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
