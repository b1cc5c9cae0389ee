"""Prometheus metrics for model calls, and the /metrics view (staff, or a scraper on loopback).

With PROMETHEUS_MULTIPROC_DIR set (make run sets it), web and worker processes share one view.
"""

import os

from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.multiprocess import MultiProcessCollector

from meditrack.errors import permission_denied

CALLS = Counter("meditrack_inference_calls", "Model calls by outcome", ["model", "backend", "task", "outcome"])
LATENCY = Histogram("meditrack_inference_latency_seconds", "Model call latency", ["model", "task"],
                    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120))
TOKENS = Counter("meditrack_inference_tokens", "Tokens in and out", ["model", "direction"])

LOOPBACK = {"127.0.0.1", "::1"}


def metrics_view(request):
    is_staff = request.user.is_authenticated and request.user.is_staff
    if not is_staff and request.META.get("REMOTE_ADDR") not in LOOPBACK:
        return permission_denied(request)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = DEFAULT_REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
