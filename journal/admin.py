from django.contrib import admin

from journal.models import EntryAnalysis, JournalEntry


class AnalysisInline(admin.StackedInline):
    model = EntryAnalysis
    can_delete = False
    exclude = ["embedding"]
    readonly_fields = [f.name for f in EntryAnalysis._meta.fields if f.name != "embedding"]


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    # Entries are private writing: the list shows no text, only what an operator needs to help.
    list_display = ["id", "owner", "written_at", "source", "crisis", "shared_with_care_team", "analysis_status"]
    list_filter = ["crisis", "source", "analysis__status"]
    search_fields = ["owner__email"]
    inlines = [AnalysisInline]

    @admin.display(description="analysis")
    def analysis_status(self, entry):
        return entry.analysis.status if hasattr(entry, "analysis") else "-"
