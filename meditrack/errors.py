"""One error type for the application and one error shape for every API answer:

    {"error": {"code": str, "detail": str, "fields"?: {name: [message, ...]}}}

An app whose errors must stay free of Django (the inference layer's) gives them the shape of
``AnsweringError`` instead of importing this module: the core depends on no app.
"""

import logging
from typing import Protocol, runtime_checkable

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A business rule said no. Services raise it; the API turns it into the error shape."""

    def __init__(self, detail: str, *, code: str = "invalid", status_code: int = 400, fields: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.status_code = status_code
        self.fields = fields


@runtime_checkable
class AnsweringError(Protocol):
    """An exception that carries its own answer: ``code``, the HTTP ``status``, and ``retry_after`` (seconds
    worth waiting before trying again, or None). Its ``str()`` is the detail shown to the user."""

    code: str
    status: int
    retry_after: float | None


def error_body(code: str, detail: str, fields: dict | None = None) -> dict:
    body = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _fields_and_detail(data) -> tuple[dict, str]:
    if isinstance(data, list):
        return {}, str(data[0]) if data else "Invalid input."
    fields = {name: [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])] for name, msgs in data.items()}
    general = fields.pop("non_field_errors", None)
    return fields, general[0] if general else "Invalid input."


# The database does not answer (stopped, restarting, out of connections: the pool's wait ran out).
DATABASE_ERRORS = (OperationalError, InterfaceError)
UNAVAILABLE_DETAIL = "The service is briefly unavailable. Please try again in a moment."
UNAVAILABLE_RETRY_AFTER_S = 10


def _database_down(request, exc: Exception) -> None:
    # The rest of the request must not try the database again (each try waits DB_POOL_TIMEOUT_S): its user is
    # anonymous from here on, so no page, audit or log looks one up.
    logger.warning("database unavailable", extra={"path": request.path, "error": type(exc).__name__})
    request.user = AnonymousUser()


def database_unavailable(request, exc: Exception):
    """503 for a request the database did not answer, in the one error shape or as a page."""
    _database_down(request, exc)
    if _wants_json(request):
        response = JsonResponse(error_body("unavailable", UNAVAILABLE_DETAIL), status=503)
    else:
        response = render(request, "503.html", status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_S)
    return response


def api_exception_handler(exc, context):
    if isinstance(exc, DATABASE_ERRORS):
        _database_down(context["request"]._request, exc)
        return Response(error_body("unavailable", UNAVAILABLE_DETAIL), status=503,
                        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_S)})
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.detail, exc.fields), status=exc.status_code)
    if isinstance(exc, AnsweringError):
        response = Response(error_body(exc.code, str(exc)), status=exc.status)
        if exc.retry_after is not None:
            response["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body("too_large", "The request body is too large."), status=413)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled API error", extra={"view": type(context.get("view")).__name__})
        return Response(error_body("server_error", "Something went wrong on our side."), status=500)

    if isinstance(exc, exceptions.ValidationError):
        fields, detail = _fields_and_detail(response.data)
        response.data = error_body("invalid", detail, fields)
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        response.data = error_body(code, str(exc.detail))
    return response


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return render(request, "500.html", status=500)


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", "Bad request."), status=status.HTTP_400_BAD_REQUEST)
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse(error_body("permission_denied", "You do not have permission to do this."), status=403)
    return render(request, "403.html", status=403)
