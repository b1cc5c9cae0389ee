"""The reports API: ask for a report (202), read one, list a patient's."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from meditrack.errors import ApplicationError
from meditrack.reports import selectors, services
from meditrack.reports.serializers import (
    GenerateInputSerializer,
    GenerateOutputSerializer,
    ReportSerializer,
    ReportSummarySerializer,
    flat_errors,
)


class GenerateApi(APIView):
    @extend_schema(request=GenerateInputSerializer, responses={202: GenerateOutputSerializer},
                   summary="Ask for an AI analysis report (the same request within a minute is the same report)")
    def post(self, request):
        data = GenerateInputSerializer(data=request.data)
        if not data.is_valid():
            raise ApplicationError("Invalid input.", fields=flat_errors(data.errors))
        options = data.validated_data.get("options") or {}
        report, _ = services.report_request(
            user=request.user, patient_id=data.validated_data["patient_id"],
            date_from=data.validated_data["date_range"]["from"], date_to=data.validated_data["date_range"]["to"],
            include_vitals=options.get("include_vitals", True),
            include_medications=options.get("include_medications", True),
            include_journal=options.get("include_journal", False))
        return Response({"report_id": report.pk, "status": report.status}, status=status.HTTP_202_ACCEPTED)


class ReportListApi(generics.ListAPIView):
    serializer_class = ReportSummarySerializer

    @extend_schema(parameters=[OpenApiParameter("patient_id", str, description="Only this patient's reports")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.report_list(user=self.request.user, patient_id=self.request.query_params.get("patient_id"))


class ReportDetailApi(APIView):
    @extend_schema(responses=ReportSerializer, summary="A report: status, facts, narrative, model, timings")
    def get(self, request, report_id: int):
        return Response(ReportSerializer(selectors.report_get(user=request.user, report_id=report_id)).data)
