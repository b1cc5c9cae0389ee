from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware

from meditrack.accounts.client_address import client_address


def _resolve(request) -> None:
    request.META["REMOTE_ADDR"] = client_address(
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR"),
        trusted_proxies=settings.TRUSTED_PROXY_COUNT,
    )


@sync_and_async_middleware
def trusted_client_address(get_response):
    """REMOTE_ADDR becomes the client's address, taken from X-Forwarded-For only as far as the
    configured number of trusted proxies reaches: throttles, lockout and logs all read it."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            _resolve(request)
            return await get_response(request)
    else:
        def middleware(request):
            _resolve(request)
            return get_response(request)
    return middleware
