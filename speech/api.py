"""Speech over HTTP: transcription, synthesis, pronunciation, and clips served to their owner only."""

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from speech import selectors, services
from speech.serializers import (
    ClipSerializer,
    PronunciationInputSerializer,
    PronunciationSerializer,
    SynthesizeInputSerializer,
    TranscribeInputSerializer,
    TranscriptSerializer,
)


class TranscribeApi(APIView):
    throttle_scope = "speech"

    @extend_schema(request={"multipart/form-data": TranscribeInputSerializer}, responses=TranscriptSerializer)
    def post(self, request):
        data = TranscribeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audio = services.upload_read(upload=data.validated_data["audio"])
        transcript = services.transcription_request(user=request.user, data=audio,
                                                    language=data.validated_data.get("language"))
        return Response(TranscriptSerializer(transcript).data)


class SynthesizeApi(APIView):
    throttle_scope = "speech"

    @extend_schema(request=SynthesizeInputSerializer, responses={201: ClipSerializer})
    def post(self, request):
        data = SynthesizeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clip = services.synthesis_request(user=request.user, **data.validated_data)
        return Response(ClipSerializer(clip).data, status=status.HTTP_201_CREATED)


class PronunciationApi(APIView):
    throttle_scope = "speech"

    @extend_schema(request={"multipart/form-data": PronunciationInputSerializer}, responses=PronunciationSerializer)
    def post(self, request):
        data = PronunciationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        audio = services.upload_read(upload=data.validated_data["audio"])
        result = services.pronunciation_request(user=request.user, data=audio, text=data.validated_data["text"])
        return Response(PronunciationSerializer(result).data)


class ClipAudioApi(APIView):
    @extend_schema(responses={(200, "audio/*"): OpenApiResponse(description="the clip's audio")})
    def get(self, request, clip_id):
        clip = selectors.clip_get(user=request.user, clip_id=clip_id)
        response = FileResponse(clip.file.open("rb"), content_type=clip.media_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response
