from rest_framework import serializers

from meditrack.accounts.models import User


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name", "role", "tier", "language", "time_zone", "date_joined"]
        read_only_fields = ["id", "email", "role", "tier", "date_joined"]


class UserUpdateSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    language = serializers.ChoiceField(choices=User.Language.choices, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)


class SignupSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)
    display_name = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()
    user = UserSerializer()


class InvitationSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The link to send the patient; it is shown only now.")
    expires_at = serializers.DateTimeField()
