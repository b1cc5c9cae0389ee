"""Journal API: entries with their analysis, and the insights (200 when ready, 202 while computed)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from journal import selectors, services
from journal.serializers import (
    EntryFilterSerializer,
    EntryInputSerializer,
    EntrySerializer,
    EntryUpdateSerializer,
    VoiceEntryInputSerializer,
    VoiceJobSerializer,
)
from speech import services as speech


class EntryListApi(generics.ListAPIView):
    serializer_class = EntrySerializer

    @extend_schema(parameters=[OpenApiParameter("patient_id", str), OpenApiParameter("from", str),
                               OpenApiParameter("to", str), OpenApiParameter("q", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = EntryFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        entries = selectors.entries_visible_to(user=self.request.user, patient_id=f.get("patient_id"))
        return selectors.entries_search(entries, since=f.get("from"), until=f.get("to"), query=f.get("q", ""))

    @extend_schema(request=EntryInputSerializer, responses={201: EntrySerializer})
    def post(self, request):
        data = EntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_create(owner=request.user, **data.validated_data)
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class EntryDetailApi(APIView):
    @extend_schema(responses=EntrySerializer)
    def get(self, request, entry_id):
        return Response(EntrySerializer(selectors.entry_get(user=request.user, entry_id=entry_id)).data)

    @extend_schema(request=EntryUpdateSerializer, responses=EntrySerializer)
    def patch(self, request, entry_id):
        entry = selectors.entry_get(user=request.user, entry_id=entry_id)
        data = EntryUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "mood" in fields and fields["mood"] is None:
            fields.pop("mood")
            fields["clear_mood"] = True
        entry = services.entry_update(entry=entry, **fields)
        return Response(EntrySerializer(selectors.entry_get(user=request.user, entry_id=entry.pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, entry_id):
        services.entry_delete(entry=selectors.entry_get(user=request.user, entry_id=entry_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VoiceEntryApi(APIView):
    """A spoken entry: 202 at once; a worker transcribes it and saves the entry ('journal.voice_ready' follows)."""

    throttle_scope = "voice"

    @extend_schema(request={"multipart/form-data": VoiceEntryInputSerializer}, responses={202: VoiceJobSerializer})
    def post(self, request):
        data = VoiceEntryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        audio = speech.upload_read(upload=fields.pop("audio"))
        job = services.voice_entry_submit(owner=request.user, audio=audio, **fields)
        return Response(VoiceJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class VoiceJobApi(APIView):
    @extend_schema(responses=VoiceJobSerializer)
    def get(self, request, job_id):
        return Response(VoiceJobSerializer(selectors.voice_entry_status(user=request.user, job_id=job_id)).data)


class InsightApi(APIView):
    @extend_schema(responses={200: OpenApiResponse(description="the insight"),
                              202: OpenApiResponse(description="being computed; 'insight.ready' follows on "
                                                               "/ws/notifications/")})
    def get(self, request, kind):
        if kind not in services.INSIGHT_KINDS:
            raise Http404("No such insight.")
        result = selectors.insight_get(user=request.user, kind=kind)
        if result is None:
            services.insight_enqueue(user=request.user, kind=kind)
            return Response({"kind": kind, "status": "computing"}, status=status.HTTP_202_ACCEPTED,
                            headers={"Retry-After": "2"})
        return Response(result)
