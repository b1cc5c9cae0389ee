from rest_framework import serializers


class TranscribeInputSerializer(serializers.Serializer):
    audio = serializers.FileField(allow_empty_file=True)  # an empty one gets the recording's own 400
    language = serializers.RegexField(r"^[a-z]{2,3}$", required=False, allow_null=True)


class WordTimingSerializer(serializers.Serializer):
    word = serializers.CharField()
    start = serializers.FloatField()
    end = serializers.FloatField()
    probability = serializers.FloatField()


class TranscriptSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    language = serializers.CharField(allow_null=True)
    duration_s = serializers.FloatField()
    words = WordTimingSerializer(many=True)


class SynthesizeInputSerializer(serializers.Serializer):
    text = serializers.CharField()
    voice = serializers.RegexField(r"^[a-z]{2,3}(-[a-z0-9]{1,8}){0,2}$", max_length=32, required=False,
                                   allow_null=True)
    speed = serializers.FloatField(min_value=0.5, max_value=2.0, required=False, allow_null=True)


class ClipSerializer(serializers.Serializer):
    clip_id = serializers.IntegerField(source="pk")
    url = serializers.SerializerMethodField()
    duration_s = serializers.FloatField()
    format = serializers.CharField()

    def get_url(self, clip) -> str:
        from django.urls import reverse

        return reverse("api-speech-clip-audio", args=[clip.pk])


class PronunciationInputSerializer(serializers.Serializer):
    audio = serializers.FileField(allow_empty_file=True)
    text = serializers.CharField()


class WordAssessmentSerializer(serializers.Serializer):
    word = serializers.CharField()
    status = serializers.ChoiceField(choices=["correct", "mispronounced", "missing", "extra"])
    expected = serializers.CharField(allow_null=True)
    heard = serializers.CharField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)


class PronunciationSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=100)
    transcript = serializers.CharField(allow_blank=True)
    words = WordAssessmentSerializer(many=True)
