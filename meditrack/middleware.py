import logging
import time
from zoneinfo import ZoneInfo

from asgiref.sync import iscoroutinefunction
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware

logger = logging.getLogger("meditrack.access")


def _log(request, response, started: float) -> None:
    # The path only: query strings carry search terms, and bodies are never logged.
    user = getattr(request, "user", None)
    logger.info("request", extra={
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "user_id": user.pk if user is not None and user.is_authenticated else None,
    })


@sync_and_async_middleware
def access_log(get_response):
    """One JSON line per request, instead of daphne's plain-text access log (run with -v 0)."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            started = time.perf_counter()
            response = await get_response(request)
            _log(request, response, started)
            return response
    else:
        def middleware(request):
            started = time.perf_counter()
            response = get_response(request)
            _log(request, response, started)
            return response
    return middleware


@sync_and_async_middleware
def user_time_zone(get_response):
    """Dates in and out of every page in the signed-in user's own time zone (their profile's)."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            user = await request.auser()
            with timezone.override(ZoneInfo(user.time_zone) if user.is_authenticated else None):
                return await get_response(request)
    else:
        def middleware(request):
            user = request.user
            with timezone.override(ZoneInfo(user.time_zone) if user.is_authenticated else None):
                return get_response(request)
    return middleware
