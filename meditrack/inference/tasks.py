from celery import shared_task

from meditrack.inference import services
from meditrack.inference.models import AIModel


@shared_task(name="inference.model_probe")
def model_probe(model_pk: int) -> dict:
    return services.model_probe(spec=AIModel.objects.get(pk=model_pk).spec())


@shared_task(name="inference.text_embed")
def text_embed(tier: str, texts: list[str]) -> tuple[str, list[list[float]]]:
    """For a process that may not run the embedding model itself (see services.text_embed)."""
    return services.text_embed(tier=tier, texts=texts)
