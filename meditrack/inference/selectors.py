import threading
import time
from dataclasses import dataclass

from django.core.cache import cache

from meditrack.inference.models import AIModel, Tier, TierModel
from meditrack.inference.types import ModelSpec, Task

REGISTRY_VERSION_KEY = "inference:registry-version"


def tier_models(*, tier: str, task: Task | None = None) -> list[AIModel]:
    """The enabled models a tier may use, in serving order."""
    entries = TierModel.objects.filter(tier__name=tier, model__enabled=True).select_related("model")
    if task is not None:
        entries = entries.filter(model__task=task)
    return [entry.model for entry in entries.order_by("position", "id")]


def tier_get(*, name: str) -> Tier:
    # A tier row missing is an operator's slip, not the user's: serve with the defaults.
    return Tier.objects.filter(name=name).first() or Tier(name=name)


@dataclass(frozen=True)
class TierPlan:
    """What serves a tier, as of one registry version: its limits and its models per task in order."""

    name: str
    requests_per_minute: int
    max_new_tokens: int
    specs: dict[str, list[ModelSpec]]


_plans: dict[str, tuple[object, TierPlan]] = {}
_plans_lock = threading.Lock()


def registry_changed(**signal_kwargs) -> None:
    """On every registry write (see apps.py): each process reloads its plans on its next call."""
    cache.set(REGISTRY_VERSION_KEY, time.time_ns(), None)


def tier_plan(*, name: str) -> TierPlan:
    """The tier's plan, read from the database only when the registry changed since the last call:
    admin edits apply at once in every process, and a call costs one cache read, not three queries."""
    version = cache.get(REGISTRY_VERSION_KEY)
    if version is None:
        # Set before reading the rows, so a write that lands meanwhile changes it again.
        cache.add(REGISTRY_VERSION_KEY, time.time_ns(), None)
        version = cache.get(REGISTRY_VERSION_KEY)
    with _plans_lock:
        cached = _plans.get(name)
    if cached is not None and cached[0] == version:
        return cached[1]
    tier = tier_get(name=name)
    specs: dict[str, list[ModelSpec]] = {}
    for model in tier_models(tier=name):
        specs.setdefault(model.task, []).append(model.spec())
    plan = TierPlan(name=name, requests_per_minute=tier.requests_per_minute, max_new_tokens=tier.max_new_tokens,
                    specs=specs)
    with _plans_lock:
        _plans[name] = (version, plan)
    return plan
