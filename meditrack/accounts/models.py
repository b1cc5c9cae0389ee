from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


def normalize_email(email: str) -> str:
    return email.strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        PATIENT = "patient"
        CLINICIAN = "clinician"
        ADMIN = "admin"

    class Tier(models.TextChoices):
        STANDARD = "standard"
        HIGH = "high"
        ENTERPRISE = "enterprise"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        GERMAN = "de", "Deutsch"
        SPANISH = "es", "Español"
        FRENCH = "fr", "Français"

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PATIENT)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    # An IANA name: where the user's days begin and end, for the journal's daily figures.
    time_zone = models.CharField(max_length=64, default="UTC")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log into the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        # A new password revokes every API token, whichever way it was set (the pages, the admin, a
        # reset): a stolen token must not outlive the password it was issued under. Browser sessions
        # end by themselves, as their hash of the password no longer matches.
        password_changed = self._password is not None and not self._state.adding
        super().save(*args, **kwargs)
        if password_changed:
            self.auth_token_set.all().delete()

    def get_full_name(self):
        return self.display_name or self.email

    def get_short_name(self):
        return self.display_name or self.email.split("@")[0]

    @property
    def is_clinician(self) -> bool:
        return self.role == self.Role.CLINICIAN


class AccessRecord(models.Model):
    """A clinician's or admin's request that named someone's data: who, which record, when, and how it
    was answered. Only the route and the ids that named the record: never a body, search text or answer."""

    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    # Kept apart from the account, which may be deleted while its trail must stay.
    actor_email = models.EmailField()
    at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=8)
    route = models.CharField(max_length=120)
    record = models.JSONField()
    status = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-at"]

    def __str__(self):
        return f"{self.actor_email} {self.method} {self.route} {self.record} at {self.at:%Y-%m-%d %H:%M:%S}"


class Invitation(models.Model):
    """A clinician's single-use, expiring link by which a patient's own account reaches their record.
    Only the token's hash is stored: the link exists in the invitation's message alone."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="invitations")
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Invitation to {self.patient_id}"
