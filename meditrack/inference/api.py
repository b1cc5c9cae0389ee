from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from meditrack.inference.selectors import tier_get, tier_models
from meditrack.inference.serializers import TierModelsSerializer
from meditrack.inference.types import Task


class ModelsApi(APIView):
    @extend_schema(responses=TierModelsSerializer, summary="The models your tier may use, per task")
    def get(self, request):
        tier = tier_get(name=request.user.tier)
        tasks = {}
        for task in Task:
            models = tier_models(tier=tier.name, task=task)
            tasks[task.value] = [
                {"slug": m.slug, "display_name": m.display_name, "backend": m.backend, "default": i == 0}
                for i, m in enumerate(models)
            ]
        body = {"tier": tier.name, "requests_per_minute": tier.requests_per_minute,
                "max_new_tokens": tier.max_new_tokens, "tasks": tasks}
        return Response(TierModelsSerializer(body).data)
