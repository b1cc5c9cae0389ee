from django.urls import reverse
from rest_framework import serializers

from speech.models import Lesson, LessonPhrase, LessonTerm, PracticeSession, PracticeTurn, VocabularyItem
from speech.practice import session_target
from speech.serializers import WordAssessmentSerializer


def clip_url(clip_id: int | None) -> str | None:
    return reverse("api-speech-clip-audio", args=[clip_id]) if clip_id else None


class LessonListSerializer(serializers.ModelSerializer):
    phrase_count = serializers.IntegerField(read_only=True)
    vocabulary_count = serializers.IntegerField(source="term_count", read_only=True)

    class Meta:
        model = Lesson
        fields = ["id", "title", "level", "description", "phrase_count", "vocabulary_count"]


class LessonPhraseSerializer(serializers.ModelSerializer):
    class Meta:
        model = LessonPhrase
        fields = ["id", "text", "hint"]


class LessonTermSerializer(serializers.ModelSerializer):
    class Meta:
        model = LessonTerm
        fields = ["id", "term", "meaning"]


class LessonSerializer(serializers.ModelSerializer):
    phrases = LessonPhraseSerializer(many=True, read_only=True)
    vocabulary = LessonTermSerializer(source="terms", many=True, read_only=True)

    class Meta:
        model = Lesson
        fields = ["id", "title", "level", "description", "phrases", "vocabulary"]


class LessonBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lesson
        fields = ["id", "title", "level"]


class VocabularyItemSerializer(serializers.ModelSerializer):
    lesson = LessonBriefSerializer(read_only=True, allow_null=True)
    due = serializers.SerializerMethodField()

    class Meta:
        model = VocabularyItem
        fields = ["id", "term", "meaning", "lesson", "stage", "due", "due_at", "interval_days", "repetitions",
                  "easiness", "review_count", "last_reviewed_at", "created_at"]

    def get_due(self, item) -> bool:
        return item.due_at <= self.context["now"]


class VocabularyFilterSerializer(serializers.Serializer):
    due = serializers.BooleanField(required=False, default=False)
    stage = serializers.ChoiceField(choices=VocabularyItem.Stage.choices, required=False)


class ReviewInputSerializer(serializers.Serializer):
    # The range is SM-2's rule (speech.srs): the service refuses it with the same 400 for every caller.
    grade = serializers.IntegerField()


class PracticeSessionInputSerializer(serializers.Serializer):
    lesson_id = serializers.IntegerField(required=False, allow_null=True)


class PracticeTurnInputSerializer(serializers.Serializer):
    audio = serializers.FileField(required=False, allow_empty_file=True)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class CorrectionSerializer(serializers.Serializer):
    expected = serializers.CharField(allow_blank=True)
    heard = serializers.CharField(allow_blank=True)
    tip = serializers.CharField(allow_blank=True)


class VocabularyNoteSerializer(serializers.Serializer):
    term = serializers.CharField()
    meaning = serializers.CharField(allow_blank=True)


class CoachSerializer(serializers.Serializer):
    reply = serializers.CharField()
    corrections = CorrectionSerializer(many=True)
    new_vocabulary = VocabularyNoteSerializer(many=True)
    next_prompt = serializers.CharField()


class TurnPronunciationSerializer(serializers.Serializer):
    score = serializers.IntegerField(allow_null=True)
    words = WordAssessmentSerializer(many=True)


class VocabularyChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    term = serializers.CharField()
    stage = serializers.CharField()
    change = serializers.ChoiceField(choices=["new", "practised", "missed"])


class TurnErrorSerializer(serializers.Serializer):
    code = serializers.CharField(source="error_code")
    detail = serializers.CharField(source="error_detail")


class PracticeTurnSerializer(serializers.ModelSerializer):
    input = serializers.SerializerMethodField()
    pronunciation = TurnPronunciationSerializer(allow_null=True, read_only=True,
                                                help_text="The word-by-word check of what was said (or typed) "
                                                          "against the target; null in free talk.")
    coach = CoachSerializer(allow_null=True, read_only=True)
    coach_audio_url = serializers.SerializerMethodField()
    recording_url = serializers.SerializerMethodField()
    vocabulary = VocabularyChangeSerializer(many=True, read_only=True)
    error = serializers.SerializerMethodField()

    class Meta:
        model = PracticeTurn
        fields = ["id", "number", "status", "input", "target", "text", "transcript", "pronunciation", "coach",
                  "coach_source", "coach_audio_url", "recording_url", "next_target", "vocabulary", "error",
                  "created_at", "finished_at"]

    def get_input(self, turn) -> str:
        return "text" if turn.text else "audio"

    def get_coach_audio_url(self, turn) -> str | None:
        return clip_url(turn.reply_clip_id)

    def get_recording_url(self, turn) -> str | None:
        return clip_url(turn.recording_id)

    def get_error(self, turn) -> dict | None:
        return TurnErrorSerializer(turn).data if turn.status == PracticeTurn.Status.FAILED else None


class PracticeSessionSerializer(serializers.ModelSerializer):
    lesson = LessonBriefSerializer(read_only=True, allow_null=True)
    target = serializers.SerializerMethodField()
    hint = serializers.SerializerMethodField()
    phrase_number = serializers.SerializerMethodField()
    phrase_count = serializers.SerializerMethodField()

    class Meta:
        model = PracticeSession
        fields = ["id", "lesson", "prompt", "target", "hint", "phrase_number", "phrase_count", "attempt",
                  "created_at"]

    def get_target(self, session) -> str | None:
        phrase = session_target(session, self.context["phrases"])
        return phrase.text if phrase else None

    def get_hint(self, session) -> str | None:
        phrase = session_target(session, self.context["phrases"])
        return phrase.hint if phrase else None

    def get_phrase_number(self, session) -> int | None:
        return session.position + 1 if self.context["phrases"] else None

    def get_phrase_count(self, session) -> int | None:
        return len(self.context["phrases"]) or None


class NewSessionSerializer(PracticeSessionSerializer):
    new_vocabulary = VocabularyItemSerializer(many=True, read_only=True)

    class Meta(PracticeSessionSerializer.Meta):
        fields = PracticeSessionSerializer.Meta.fields + ["new_vocabulary"]


class SessionDetailSerializer(PracticeSessionSerializer):
    turns = PracticeTurnSerializer(many=True, read_only=True)

    class Meta(PracticeSessionSerializer.Meta):
        fields = PracticeSessionSerializer.Meta.fields + ["turns"]
