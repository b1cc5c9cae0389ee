from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.utils.decorators import sync_and_async_middleware

from meditrack.accounts.client_address import client_address
from meditrack.accounts.models import AccessRecord, User


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


# Query parameters that name a patient's record; no other part of a query is kept (it may hold search text).
RECORD_QUERY_KEYS = ("patient", "patient_id")


def _storable(value) -> str:
    """An id as the client sent it, short and fit for PostgreSQL: a hostile one (a NUL, a lone
    surrogate) is kept, marked, rather than failing the request it names."""
    return str(value)[:64].replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def _audit(request, response) -> None:
    match = request.resolver_match
    user = getattr(request, "user", None)
    if match is None or user is None or not user.is_authenticated:
        return
    if not (user.is_staff or user.role in (User.Role.CLINICIAN, User.Role.ADMIN)):
        return
    record = {key: _storable(value) for key, value in match.kwargs.items()}
    record.update({key: _storable(request.GET[key]) for key in RECORD_QUERY_KEYS if request.GET.get(key)})
    if record:
        AccessRecord.objects.create(actor=user, actor_email=user.email, method=request.method,
                                    route=match.view_name[:120], record=record, status=response.status_code)


@sync_and_async_middleware
def access_audit(get_response):
    """Every request of a clinician or an admin that names a record (in its path, or a patient in its
    query) is kept in AccessRecord, refused ones too."""
    if iscoroutinefunction(get_response):
        async def middleware(request):
            response = await get_response(request)
            await sync_to_async(_audit)(request, response)
            return response
    else:
        def middleware(request):
            response = get_response(request)
            _audit(request, response)
            return response
    return middleware
