from meditrack.inference.models import AIModel, Tier, TierModel
from meditrack.inference.types import Task


def tier_get(*, name: str) -> Tier:
    # A tier row missing is an operator's slip, not the user's: serve with the defaults.
    return Tier.objects.filter(name=name).first() or Tier(name=name)


def tier_models(*, tier: str, task: Task | None = None) -> list[AIModel]:
    """The enabled models a tier may use, in serving order. Read on every call: admin edits apply at once."""
    entries = TierModel.objects.filter(tier__name=tier, model__enabled=True).select_related("model")
    if task is not None:
        entries = entries.filter(model__task=task)
    return [entry.model for entry in entries.order_by("position", "id")]
