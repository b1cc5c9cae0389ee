"""Registry rows for tests: tiers and models that point at the loopback model server."""

from meditrack.inference.models import AIModel, Tier, TierModel


def tier(name="standard", rpm=1000, max_new_tokens=256) -> Tier:
    obj, _ = Tier.objects.update_or_create(name=name, defaults={"requests_per_minute": rpm,
                                                               "max_new_tokens": max_new_tokens})
    return obj


def model(slug, *, task="chat", backend="openai_compatible", base_url="http://127.0.0.1:9/v1", model_id="loopback",
          enabled=True, **extra) -> AIModel:
    obj, _ = AIModel.objects.update_or_create(
        slug=slug, defaults={"task": task, "backend": backend, "base_url": base_url, "model_id": model_id,
                             "enabled": enabled, "timeout_s": extra.pop("timeout_s", 5), **extra})
    return obj


def serve(tier_obj: Tier, *models: AIModel) -> None:
    """Put these models first in the tier, in this order, for their tasks."""
    TierModel.objects.filter(tier=tier_obj, model__task__in={m.task for m in models}).delete()
    for position, m in enumerate(models):
        TierModel.objects.create(tier=tier_obj, model=m, position=position)
