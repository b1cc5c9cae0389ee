"""GET /api/v1/health: every part the product needs, checked for real, each with its latency.

Failures name only the exception type: connection errors can carry hosts and user names.
"""

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from meditrack.celery import app as celery_app

CHECK_TIMEOUT_S = 2.0


class CheckFailed(Exception):
    pass


def _pooled_connection():
    # A probe must answer within the orchestrator's timeout: the pool's own wait (DB_POOL_TIMEOUT_S) is for
    # requests, and a stopped database would hold the report that long.
    connection.pool.open()  # idempotent: Django opens it on its first connection
    return connection.pool.connection(timeout=CHECK_TIMEOUT_S)


def check_database() -> dict:
    with _pooled_connection() as conn:
        conn.execute("SELECT 1")
    return {}


def check_pgvector() -> dict:
    with _pooled_connection() as conn:
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    if row is None:
        raise CheckFailed("the vector extension is not installed")
    return {"version": row[0]}


def check_redis() -> dict:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT_S,
                                  socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        client.ping()
    finally:
        client.close()
    return {}


def check_broker() -> dict:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)
    return {}


def check_worker() -> dict:
    replies = celery_app.control.ping(timeout=CHECK_TIMEOUT_S, limit=1)
    if not replies:
        raise CheckFailed("no worker answered the ping")
    return {}


CHECKS: dict[str, Callable[[], dict]] = {
    "database": check_database,
    "pgvector": check_pgvector,
    "redis": check_redis,
    "broker": check_broker,
    "worker": check_worker,
}
# A check that cannot pass without an earlier one is not tried again when that one failed.
REQUIRES = {"pgvector": "database"}


def health_report() -> tuple[bool, dict]:
    results = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        needed = REQUIRES.get(name)
        try:
            if needed and results[needed]["status"] != "ok":
                raise CheckFailed(f"needs the {needed}, which failed")
            result = {"status": "ok", **check()}
        except CheckFailed as exc:
            result = {"status": "error", "error": str(exc)}
        except Exception as exc:  # a health check reports every failure rather than raising it
            result = {"status": "error", "error": type(exc).__name__}
        result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    healthy = all(r["status"] == "ok" for r in results.values())
    return healthy, {"status": "ok" if healthy else "error", "checks": results}


class HealthView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(summary="Health of the database, pgvector, Redis, broker and workers",
                   responses={200: OpenApiTypes.OBJECT, 503: OpenApiTypes.OBJECT})
    def get(self, request):
        healthy, report = health_report()
        return Response(report, status=200 if healthy else 503)
