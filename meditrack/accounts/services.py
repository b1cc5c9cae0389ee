import functools
import hashlib
import secrets
import zoneinfo
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import authenticate, password_validation, user_logged_in
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from knox.models import AuthToken

from meditrack.accounts.models import Invitation, User, normalize_email
from meditrack.errors import ApplicationError
from meditrack.patients.models import Patient
from meditrack.patients.selectors import patient_get

DUPLICATE_EMAIL = "An account with this email already exists."


def user_create(*, email: str, password: str, display_name: str = "", role: str = User.Role.PATIENT,
                tier: str = User.Tier.STANDARD, time_zone: str = "") -> User:
    email = normalize_email(email)
    # A browser that sends no zone, or one we do not know, leaves the default rather than failing the signup.
    zone = time_zone if time_zone in time_zones() else "UTC"
    user = User(email=email, display_name=display_name.strip(), role=role, tier=tier, time_zone=zone)
    errors = {}
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = [DUPLICATE_EMAIL]
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # a concurrent signup with the same address won the race
        raise ValidationError({"email": [DUPLICATE_EMAIL]}) from None
    return user


@functools.cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def user_update(*, user: User, display_name: str | None = None, language: str | None = None,
                time_zone: str | None = None) -> User:
    changed = []
    if time_zone is not None:
        if time_zone not in time_zones():
            raise ApplicationError("Unknown time zone.", fields={"time_zone": ["Use an IANA name such as "
                                                                           "Europe/Berlin."]})
        user.time_zone = time_zone
        changed.append("time_zone")
    if display_name is not None:
        user.display_name = display_name.strip()
        changed.append("display_name")
    if language is not None:
        user.language = language
        changed.append("language")
    if changed:
        user.save(update_fields=changed)
    return user


def token_issue(*, request: HttpRequest, email: str, password: str) -> tuple[str, datetime, User]:
    """The request is the lockout's: it counts failures by its client address and the account."""
    user = authenticate(request, username=normalize_email(email), password=password)
    if user is None:
        raise ApplicationError("Wrong email or password.", code="invalid_credentials", status_code=401)
    # Past the cap, the oldest tokens go: a script that logs in on every run cannot pile them up.
    kept = settings.API_TOKENS_PER_USER - 1
    oldest = AuthToken.objects.filter(user=user).order_by("-created").values_list("pk", flat=True)[kept:]
    AuthToken.objects.filter(pk__in=list(oldest)).delete()
    instance, token = AuthToken.objects.create(user=user)
    # A sign-in like the login page's: last_login moves, and the lockout forgets earlier failures.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return token, instance.expiry, user


def token_revoke(*, token: AuthToken) -> None:
    token.delete()


def tokens_revoke_all(*, user: User) -> None:
    AuthToken.objects.filter(user=user).delete()


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def user_notify(*, user_id: int, event: dict) -> None:
    """Push an event to every open /ws/notifications/ socket of this user, and only theirs."""
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": "notify", "event": event})


INVITATION_LIFETIME = timedelta(days=7)


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_create(*, clinician: User, patient_id: str) -> tuple[str, Invitation]:
    """A new invitation to a record the clinician reaches and manages, not yet linked to an account.
    Returns the token, which is stored only as its hash."""
    from meditrack.patients.services import may_manage_patients  # it imports this module

    patient = patient_get(user=clinician, patient_id=patient_id)
    if not may_manage_patients(user=clinician):
        raise ApplicationError("Only the patient's clinicians invite.", code="permission_denied", status_code=403)
    if patient.user_id is not None:
        raise ApplicationError("This record already belongs to an account.", code="already_linked",
                               status_code=409)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(patient=patient, created_by=clinician,
                                           token_hash=invitation_token_hash(token),
                                           expires_at=timezone.now() + INVITATION_LIFETIME)
    return token, invitation


@transaction.atomic
def invitation_accept(*, user: User, token: str) -> Invitation:
    """Links the invited record to this patient's account, once: the invitation is spent."""
    invitation = (Invitation.objects.select_for_update().select_related("patient")
                  .filter(token_hash=invitation_token_hash(token), accepted_at__isnull=True,
                          expires_at__gt=timezone.now()).first())
    if invitation is None:
        raise ApplicationError("This invitation is used, expired or unknown.", code="invitation_gone",
                               status_code=410)
    if user.role != User.Role.PATIENT:
        raise ApplicationError("Only a patient's account accepts an invitation.", code="permission_denied",
                               status_code=403)
    patient = Patient.objects.select_for_update().get(pk=invitation.patient_id)
    if patient.user_id is not None or hasattr(user, "patient_record"):
        raise ApplicationError("This record or this account is already linked.", code="already_linked",
                               status_code=409)
    patient.user = user
    patient.save(update_fields=["user"])
    invitation.accepted_by, invitation.accepted_at = user, timezone.now()
    invitation.save(update_fields=["accepted_by", "accepted_at"])
    return invitation
