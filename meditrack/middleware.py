import logging
import time
from zoneinfo import ZoneInfo

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware

from meditrack.errors import DATABASE_ERRORS, database_unavailable

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


class DatabaseUnavailableMiddleware:
    """A request the database does not answer gets a 503 (meditrack.errors.database_unavailable) after one wait
    for it, not a 500 after one wait per look at its user: the session and the user are read here first
    (user_time_zone reads them anyway), and a view's database error is answered the same way."""

    sync_capable = async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        try:
            request.user.is_authenticated  # noqa: B018 (reads them)
        except DATABASE_ERRORS as exc:
            return database_unavailable(request, exc)
        return self.get_response(request)

    async def _acall(self, request):
        try:
            await request.auser()
        except DATABASE_ERRORS as exc:
            return await sync_to_async(database_unavailable)(request, exc)
        return await self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None
