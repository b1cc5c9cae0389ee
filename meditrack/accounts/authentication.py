from zoneinfo import ZoneInfo

from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication


class TokenAuthentication(KnoxTokenAuthentication):
    """Knox's bearer tokens, with the request in the user's own time zone: the time zone middleware runs
    before DRF authenticates, so it sees only browser sessions. Its override ends with the request."""

    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            timezone.activate(ZoneInfo(authenticated[0].time_zone))
        return authenticated
