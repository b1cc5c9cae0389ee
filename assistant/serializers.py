from rest_framework import serializers

from assistant.models import ChatSession, Message
from assistant.services import MAX_MESSAGE_CHARS


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "role", "content", "status", "client_id", "model", "finish_reason", "error_code",
                  "citations", "grounding", "tokens_in", "tokens_out", "time_to_first_token_ms", "duration_ms",
                  "created_at"]


class SessionSerializer(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.patient_id", read_only=True, default=None, allow_null=True,
                                    help_text="The public id of the patient a clinician's chat is about.")

    class Meta:
        model = ChatSession
        fields = ["id", "title", "model", "grounded", "patient", "context_reset_at", "created_at", "updated_at"]
        read_only_fields = ["context_reset_at", "created_at", "updated_at"]


class SessionInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    model = serializers.CharField(max_length=50, required=False, allow_blank=True)
    grounded = serializers.BooleanField(required=False,
                                        help_text="Answer from the owner's records, citing them (new sessions: on).")
    patient = serializers.CharField(source="patient_id", max_length=20, required=False, allow_null=True,
                                    help_text="The assigned patient a clinician's chat is about (public id), or null.")


class MessageInputSerializer(serializers.Serializer):
    content = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=True)
    client_id = serializers.UUIDField(required=False)


class SendInputSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=MAX_MESSAGE_CHARS, trim_whitespace=True)
    session_id = serializers.IntegerField(required=False)
    model = serializers.CharField(max_length=50, required=False)
