from django import forms
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.forms import UserChangeForm as BaseUserChangeForm

from meditrack.accounts.models import User


class SignupForm(forms.Form):
    email = forms.EmailField(max_length=254)
    display_name = forms.CharField(max_length=150, required=False, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, max_length=128, strip=False,
                               help_text="At least 10 characters, not a common password.")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "language"]


class AdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class AdminChangeForm(BaseUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
