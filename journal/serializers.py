from rest_framework import serializers

from journal.models import EntryAnalysis, JournalEntry
from journal.services import SUPPORT_RESOURCES


class AnalysisSerializer(serializers.ModelSerializer):
    scores = serializers.SerializerMethodField()

    class Meta:
        model = EntryAnalysis
        fields = ["status", "sentiment_label", "score", "scores", "emotions", "sentiment_model", "emotion_model",
                  "analysed_at", "analyser_version"]

    def get_scores(self, analysis) -> dict | None:
        if analysis.negative is None:
            return None
        return {"negative": analysis.negative, "neutral": analysis.neutral, "positive": analysis.positive}


class EntrySerializer(serializers.ModelSerializer):
    analysis = AnalysisSerializer(read_only=True)
    support_resources = serializers.SerializerMethodField()

    class Meta:
        model = JournalEntry
        fields = ["id", "text", "mood", "written_at", "source", "shared_with_care_team", "crisis",
                  "support_resources", "analysis", "created_at", "updated_at"]

    def get_support_resources(self, entry) -> list | None:
        return SUPPORT_RESOURCES if entry.crisis else None


class EntryInputSerializer(serializers.Serializer):
    # Length and dates are the service's rules; this checks types only.
    text = serializers.CharField(trim_whitespace=False, allow_blank=True)
    mood = serializers.IntegerField(required=False, allow_null=True)
    written_at = serializers.DateTimeField(required=False)
    shared_with_care_team = serializers.BooleanField(required=False)


class EntryUpdateSerializer(EntryInputSerializer):
    text = serializers.CharField(trim_whitespace=False, allow_blank=True, required=False)


class EntryFilterSerializer(serializers.Serializer):
    patient_id = serializers.CharField(required=False, max_length=20)
    q = serializers.CharField(required=False, max_length=200)
    # "from" is a Python keyword: declared through the class namespace.
    locals()["from"] = serializers.DateField(required=False)
    to = serializers.DateField(required=False)

    def validate(self, data):
        if data.get("from") and data.get("to") and data["from"] > data["to"]:
            raise serializers.ValidationError({"from": ["After 'to'."]})
        return data


class VoiceEntryInputSerializer(serializers.Serializer):
    audio = serializers.FileField()
    mood = serializers.IntegerField(required=False, allow_null=True)
    written_at = serializers.DateTimeField(required=False)
    shared_with_care_team = serializers.BooleanField(required=False, default=False)


class VoiceJobSerializer(serializers.Serializer):
    job_id = serializers.CharField()
    status = serializers.ChoiceField(choices=["transcribing", "done", "failed"])
    entry_id = serializers.IntegerField(allow_null=True)
