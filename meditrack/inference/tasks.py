from celery import shared_task

from meditrack.inference import services
from meditrack.inference.models import AIModel


@shared_task(name="inference.model_probe")
def model_probe(model_pk: int) -> dict:
    return services.model_probe(spec=AIModel.objects.get(pk=model_pk).spec())
