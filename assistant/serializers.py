from rest_framework import serializers

from assistant.models import ChatSession, Message
from assistant.services import MAX_MESSAGE_CHARS


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "role", "content", "status", "client_id", "model", "finish_reason", "error_code",
                  "tokens_in", "tokens_out", "time_to_first_token_ms", "duration_ms", "created_at"]


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChatSession
        fields = ["id", "title", "model", "context_reset_at", "created_at", "updated_at"]
        read_only_fields = ["context_reset_at", "created_at", "updated_at"]


class SessionInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    model = serializers.CharField(max_length=50, required=False, allow_blank=True)


class MessageInputSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=True)
    client_id = serializers.UUIDField(required=False)


class SendInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=True)
    session_id = serializers.IntegerField(required=False)
    model = serializers.CharField(max_length=50, required=False)
