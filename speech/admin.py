from django.contrib import admin

from speech.models import Lesson, LessonPhrase, LessonTerm


class LessonPhraseInline(admin.TabularInline):
    model = LessonPhrase
    extra = 1
    fields = ["position", "text", "hint"]


class LessonTermInline(admin.TabularInline):
    model = LessonTerm
    extra = 1
    fields = ["position", "term", "meaning"]


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["title", "level", "position", "published", "updated_at"]
    list_editable = ["position", "published"]
    list_filter = ["level", "published"]
    search_fields = ["title", "phrases__text", "terms__term"]
    inlines = [LessonPhraseInline, LessonTermInline]

