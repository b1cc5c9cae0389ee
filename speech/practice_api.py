"""Speech practice API: lessons, the caller's vocabulary and its reviews, practice sessions and their turns."""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from meditrack.errors import ApplicationError
from speech import practice, practice_selectors
from speech import services as speech
from speech.practice_serializers import (
    LessonListSerializer,
    LessonSerializer,
    NewSessionSerializer,
    PracticeSessionInputSerializer,
    PracticeTurnInputSerializer,
    PracticeTurnSerializer,
    ReviewInputSerializer,
    SessionDetailSerializer,
    VocabularyFilterSerializer,
    VocabularyItemSerializer,
)


class LessonListApi(generics.ListAPIView):
    serializer_class = LessonListSerializer

    def get_queryset(self):
        return practice_selectors.lessons_list()


class LessonDetailApi(APIView):
    @extend_schema(responses=LessonSerializer)
    def get(self, request, lesson_id):
        return Response(LessonSerializer(practice_selectors.lesson_get(lesson_id=lesson_id)).data)


class VocabularyListApi(generics.ListAPIView):
    """The caller's words, those due for review first; `due=true` lists only those due now."""

    serializer_class = VocabularyItemSerializer

    @extend_schema(parameters=[OpenApiParameter("due", bool), OpenApiParameter("stage", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = VocabularyFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return practice_selectors.vocabulary_list(user=self.request.user, due_only=filters.validated_data["due"],
                                                  stage=filters.validated_data.get("stage"))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


class VocabularyReviewApi(APIView):
    """One review of a word, graded 0 (forgotten) to 5 (perfect): SM-2 schedules the next."""

    @extend_schema(request=ReviewInputSerializer, responses=VocabularyItemSerializer)
    def post(self, request, item_id):
        item = practice_selectors.vocabulary_item_get(user=request.user, item_id=item_id)
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = practice.vocabulary_review(item=item, grade=data.validated_data["grade"])
        return Response(VocabularyItemSerializer(item, context={"now": timezone.now()}).data)


def _session_context(session) -> dict:
    phrases, _ = practice.lesson_content(session.lesson)
    return {"phrases": phrases, "now": timezone.now()}


class SessionCreateApi(APIView):
    @extend_schema(request=PracticeSessionInputSerializer, responses={201: NewSessionSerializer})
    def post(self, request):
        """Start practising: a lesson's first phrase to say (free talk without `lesson_id`), and the words it
        brings into the caller's vocabulary."""
        data = PracticeSessionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lesson = None
        if data.validated_data.get("lesson_id") is not None:
            try:
                lesson = practice_selectors.lesson_get(lesson_id=data.validated_data["lesson_id"])
            except Http404:
                raise ApplicationError("No such lesson.", fields={"lesson_id": ["No such lesson."]}) from None
        session, session.new_vocabulary = practice.practice_session_create(owner=request.user, lesson=lesson)
        return Response(NewSessionSerializer(session, context=_session_context(session)).data,
                        status=status.HTTP_201_CREATED)


class SessionDetailApi(APIView):
    @extend_schema(responses=SessionDetailSerializer)
    def get(self, request, session_id):
        session = practice_selectors.practice_session_get(user=request.user, session_id=session_id, with_turns=True)
        return Response(SessionDetailSerializer(session, context=_session_context(session)).data)


class TurnCreateApi(APIView):
    throttle_scope = "speech"

    @extend_schema(request={"multipart/form-data": PracticeTurnInputSerializer,
                            "application/json": PracticeTurnInputSerializer},
                   responses={201: PracticeTurnSerializer})
    def post(self, request, session_id):
        """A turn: a recording (multipart `audio`) or typed `text`, answered on a worker with the transcript,
        the word-by-word check, the coach's answer (`coach_source`: model or fallback), the URL of its voice and the
        vocabulary it changed."""
        session = practice_selectors.practice_session_get(user=request.user, session_id=session_id)
        data = PracticeTurnInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data.get("audio")
        turn = practice.practice_turn_request(session=session, text=data.validated_data.get("text", ""),
                                              audio=speech.upload_read(upload=upload) if upload else None)
        return Response(PracticeTurnSerializer(turn).data, status=status.HTTP_201_CREATED)


class TurnDetailApi(APIView):
    @extend_schema(responses=PracticeTurnSerializer)
    def get(self, request, session_id, turn_id):
        turn = practice_selectors.practice_turn_get(user=request.user, session_id=session_id, turn_id=turn_id)
        return Response(PracticeTurnSerializer(turn).data)
