from celery.exceptions import TimeoutError as CeleryTimeout
from django.contrib import admin, messages

from meditrack.inference.models import AIModel, Tier, TierModel
from meditrack.inference.tasks import model_probe

PROBE_GRACE_S = 30  # a local model's first load comes on top of its timeout


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    list_display = ["slug", "task", "backend", "model_id", "queue", "enabled", "token_status"]
    list_filter = ["task", "backend", "queue", "enabled"]
    search_fields = ["slug", "name", "model_id"]
    actions = ["test_models"]

    @admin.display(description="token")
    def token_status(self, obj):
        if not obj.token_env_var:
            return "—"
        return f"{obj.token_env_var}: {'set' if obj.spec().token else 'missing'}"

    @admin.action(description="Test the selected models (a tiny real request on their queue)")
    def test_models(self, request, queryset):
        for model in queryset:
            # On the model's own queue: the web process never runs a model.
            result = model_probe.apply_async(args=[model.pk], queue=model.queue)
            try:
                outcome = result.get(timeout=model.timeout_s + PROBE_GRACE_S)
            except CeleryTimeout:
                self.message_user(request, f"{model.slug}: no worker on the '{model.queue}' queue answered.",
                                  messages.ERROR)
                continue
            if outcome["ok"]:
                self.message_user(request, f"{model.slug}: OK in {outcome['latency_ms']:.0f} ms.", messages.SUCCESS)
            else:
                self.message_user(request, f"{model.slug}: failed after {outcome['latency_ms']:.0f} ms — "
                                           f"{outcome['error']}", messages.ERROR)


class TierModelInline(admin.TabularInline):
    model = TierModel
    extra = 1
    fields = ["position", "model", "task", "enabled"]
    readonly_fields = ["task", "enabled"]
    autocomplete_fields = ["model"]

    @admin.display(description="task")
    def task(self, obj):
        return obj.model.task if obj.model_id else "—"

    @admin.display(description="enabled", boolean=True)
    def enabled(self, obj):
        return obj.model.enabled if obj.model_id else None


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "requests_per_minute", "max_new_tokens"]
    inlines = [TierModelInline]
