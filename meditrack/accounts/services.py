import functools
import zoneinfo
from datetime import datetime

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import authenticate, password_validation, user_logged_in
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from knox.models import AuthToken

from meditrack.accounts.models import User, normalize_email
from meditrack.errors import ApplicationError

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
