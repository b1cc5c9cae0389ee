from rest_framework import serializers


class ModelChoiceSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField(source="display_name")
    backend = serializers.CharField()
    default = serializers.BooleanField()


class TierModelsSerializer(serializers.Serializer):
    tier = serializers.CharField()
    requests_per_minute = serializers.IntegerField()
    max_new_tokens = serializers.IntegerField()
    tasks = serializers.DictField(child=ModelChoiceSerializer(many=True))
