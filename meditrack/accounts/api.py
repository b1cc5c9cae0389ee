from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from meditrack.accounts import services
from meditrack.accounts.authentication import TokenAuthentication
from meditrack.accounts.serializers import (
    InvitationSerializer,
    SignupSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
    UserUpdateSerializer,
)


class SignupApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    @extend_schema(request=SignupSerializer, responses={201: TokenSerializer}, summary="Create a patient account")
    def post(self, request):
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        token, expiry, user = services.token_issue(request=request._request, email=user.email,
                                                   password=data.validated_data["password"])
        body = TokenSerializer({"token": token, "expiry": expiry, "user": user}).data
        return Response(body, status=status.HTTP_201_CREATED)


class TokenApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_scope = "auth"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer},
                   summary="Exchange email and password for a Bearer token")
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Django's own request: django-axes marks it locked out, and its middleware answers for it.
        token, expiry, user = services.token_issue(request=request._request, **data.validated_data)
        return Response(TokenSerializer({"token": token, "expiry": expiry, "user": user}).data)


class TokenHolderApi(APIView):
    """Reached with a bearer token only: a browser session has no token to revoke."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]


class LogoutApi(TokenHolderApi):
    @extend_schema(request=None, responses={204: None}, summary="Revoke the token this request carries")
    def post(self, request):
        services.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(TokenHolderApi):
    @extend_schema(request=None, responses={204: None}, summary="Revoke every token of yours")
    def post(self, request):
        services.tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationCreateApi(APIView):
    @extend_schema(request=None, responses={201: InvitationSerializer},
                   summary="Invite the patient to link this record to their account (a single-use, expiring link)")
    def post(self, request, patient_id):
        token, invitation = services.invitation_create(clinician=request.user, patient_id=patient_id)
        url = request.build_absolute_uri(reverse("invitation", args=[token]))
        return Response(InvitationSerializer({"url": url, "expires_at": invitation.expires_at}).data,
                        status=status.HTTP_201_CREATED)


class MeApi(APIView):
    @extend_schema(responses=UserSerializer, summary="Your profile")
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=UserUpdateSerializer, responses=UserSerializer,
                   summary="Change your display name or language")
    def patch(self, request):
        data = UserUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update(user=request.user, **data.validated_data)
        return Response(UserSerializer(user).data)
