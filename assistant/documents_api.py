"""Documents and search API: upload (multipart `file`, optional `title`), list, read, delete; fused search."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import documents
from assistant.models import Document
from assistant.retrieval import MAX_K, MAX_QUERY_CHARS, passages_search, query_usable
from meditrack.errors import ApplicationError
from meditrack.patients.selectors import patient_get


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "title", "filename", "media_type", "size_bytes", "pages", "status", "failure_reason",
                  "chunk_count", "created_at", "indexed_at"]


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=documents.MAX_TITLE)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(trim_whitespace=True, max_length=MAX_QUERY_CHARS)
    k = serializers.IntegerField(required=False, default=10, min_value=1, max_value=MAX_K)
    patient_id = serializers.CharField(required=False, max_length=20)

    def validate_q(self, value: str) -> str:
        if not query_usable(value):
            raise serializers.ValidationError("Search for some words: this query has none.")
        return value


class PassageSerializer(serializers.Serializer):
    source_type = serializers.CharField()
    source_id = serializers.IntegerField()
    title = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField()
    chunk_id = serializers.IntegerField()
    score = serializers.FloatField()
    vector_rank = serializers.IntegerField(allow_null=True)
    text_rank = serializers.IntegerField(allow_null=True)


class DocumentListApi(generics.ListAPIView):
    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        return documents.documents_list(owner=self.request.user)

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer}, responses={202: DocumentSerializer})
    def post(self, request):
        data = DocumentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        document = documents.document_create(owner=request.user, filename=upload.name, size=upload.size,
                                             read=upload.read, title=data.validated_data.get("title"))
        # Accepted: a worker indexes it; `status` says when it is ready.
        return Response(DocumentSerializer(document).data, status=status.HTTP_202_ACCEPTED)


class DocumentDetailApi(APIView):
    @extend_schema(responses=DocumentSerializer)
    def get(self, request, document_id):
        return Response(DocumentSerializer(documents.document_get(owner=request.user, document_id=document_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, document_id):
        documents.document_delete(document=documents.document_get(owner=request.user, document_id=document_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SearchApi(APIView):
    """The passages of the caller's documents, journal and facts that best match `q`; with `patient_id`, a
    clinician's search also reads that patient's facts and shared entries."""

    @extend_schema(parameters=[OpenApiParameter("q", str, required=True), OpenApiParameter("k", int),
                               OpenApiParameter("patient_id", str)],
                   responses=inline_serializer("SearchResults", {"results": PassageSerializer(many=True)}))
    def get(self, request):
        if len(request.query_params.get("q", "")) > MAX_QUERY_CHARS:
            raise ApplicationError(f"A search is limited to {MAX_QUERY_CHARS} characters.",
                                   fields={"q": [f"At most {MAX_QUERY_CHARS} characters."]})
        params = SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        patient_id = None
        if public_id := params.validated_data.get("patient_id"):
            patient_id = patient_get(user=request.user, patient_id=public_id).pk
        passages = passages_search(user=request.user, query=params.validated_data["q"],
                                   k=params.validated_data["k"], patient_id=patient_id)
        return Response({"results": PassageSerializer(passages, many=True).data})
