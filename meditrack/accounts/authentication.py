from zoneinfo import ZoneInfo

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication


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
