"""Patients and their vitals, medications, intakes and FHIR bundles.

Who may do what: ``selectors.patient_get`` decides who reaches a patient (its clinicians and the
patient themself; 404 for everyone else, whether or not the patient exists), and
``services.may_manage_patients`` what they may do there: a patient may read their own record and add
their own readings and intakes; changing the record or its medications, importing a bundle, creating or
deleting patients and reading or clearing care alerts is for clinicians (403 for the patient).
"""

from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import BaseParser, get_encoding
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from meditrack import dateranges, json_input
from meditrack.accounts.models import User
from meditrack.errors import ApplicationError
from meditrack.patients import selectors, services
from meditrack.patients.models import Patient
from meditrack.patients.serializers import (
    AdherenceSerializer,
    CareAlertQuerySerializer,
    CareAlertSerializer,
    ImportResultSerializer,
    IntakeInputSerializer,
    IntakeQuerySerializer,
    IntakeSerializer,
    MedicationInputSerializer,
    MedicationSerializer,
    MedicationUpdateSerializer,
    PatientCreateSerializer,
    PatientSerializer,
    PatientUpdateSerializer,
    RangeQuerySerializer,
    VitalInputSerializer,
    VitalQuerySerializer,
    VitalSerializer,
)

FHIR_MAX_BYTES = 10 * 1024 * 1024


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class IntakePagination(Pagination):
    """A page of intakes, with the adherence per medication over the whole filtered range."""

    def get_paginated_response(self, data, adherence=None):
        response = super().get_paginated_response(data)
        response.data["adherence"] = adherence or []
        return response


class FhirBundleParser(BaseParser):
    """JSON, with a limit of its own: a few months of readings outgrow DATA_UPLOAD_MAX_MEMORY_SIZE
    (DRF's JSONParser would hold a bundle to it), so bundles are read here up to FHIR_MAX_BYTES."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(FHIR_MAX_BYTES + 1) if stream is not None else b""
        if len(raw) > FHIR_MAX_BYTES:
            raise ApplicationError(f"A bundle may be at most {FHIR_MAX_BYTES // (1024 * 1024)} MB.",
                                   code="too_large", status_code=413)
        try:
            return json_input.loads(raw.decode(get_encoding(parser_context or {})))
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class FhirJsonParser(FhirBundleParser):
    media_type = "application/fhir+json"


class FhirJsonRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


def _query(serializer_class, request) -> dict:
    data = serializer_class(data=request.query_params)
    data.is_valid(raise_exception=True)
    return data.validated_data


# How each side of a range the dateranges rules refuse is named in the query.
RANGE_FIELDS = {"from": "from", "range": "to"}


def _range(request, serializer_class=RangeQuerySerializer) -> tuple[dict, tuple]:
    """The query, and its from/to as the first and last instant included, dates read in the user's time zone."""
    query = _query(serializer_class, request)
    start, end = dateranges.bounds(query.get("from"), query.get("to"), tz=ZoneInfo(request.user.time_zone))
    if start and end:
        try:
            dateranges.check(start, end, end_name="'to'")
        except dateranges.RangeError as exc:
            raise ApplicationError(exc.detail, code=exc.code,
                                   fields={RANGE_FIELDS[exc.bound]: [exc.field_message]}) from None
    return query, (start, end)


def _patient_to_manage(request, patient_id: str) -> Patient:
    """The patient (404 as ``selectors.patient_get``), and 403 unless the user may manage it."""
    patient = selectors.patient_get(user=request.user, patient_id=patient_id)
    if not services.may_manage_patients(user=request.user):
        raise PermissionDenied("Only the patient's clinicians may do this.")
    return patient


def _paginate(view, request, queryset, serializer_class, pagination_class=None, **extra):
    # A view that pages names its pagination_class: drf-spectacular then documents the page, not a bare list.
    paginator = (pagination_class or view.pagination_class)()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data, **extra)


def _with_clinicians(qs):
    return qs.prefetch_related(Prefetch("clinicians", queryset=User.objects.order_by("pk")))


class PatientListApi(APIView):
    pagination_class = Pagination

    @extend_schema(responses=PatientSerializer(many=True), summary="The patients you may reach",
                   description="A clinician's assigned patients; a patient's own record.")
    def get(self, request):
        patients = _with_clinicians(selectors.patients_visible_to(user=request.user).order_by("patient_id"))
        return _paginate(self, request, patients, PatientSerializer)

    @extend_schema(request=PatientCreateSerializer, responses={201: PatientSerializer},
                   summary="Create a patient (clinicians; you are assigned to it)")
    def post(self, request):
        data = PatientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        patient = services.patient_create(clinician=request.user, **data.validated_data)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailApi(APIView):
    @extend_schema(responses=PatientSerializer, summary="One patient")
    def get(self, request, patient_id):
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        return Response(PatientSerializer(patient).data)

    @extend_schema(request=PatientUpdateSerializer, responses=PatientSerializer, summary="Change a patient")
    def patch(self, request, patient_id):
        patient = _patient_to_manage(request, patient_id)
        data = PatientUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(PatientSerializer(services.patient_update(patient=patient, **data.validated_data)).data)

    @extend_schema(responses={204: None}, summary="Delete a patient with all their data")
    def delete(self, request, patient_id):
        services.patient_delete(patient=_patient_to_manage(request, patient_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VitalListApi(APIView):
    pagination_class = Pagination

    @extend_schema(parameters=[VitalQuerySerializer], responses=VitalSerializer(many=True),
                   summary="A patient's readings, oldest first",
                   description="Values are in the kind's canonical unit (mmHg, bpm, mg/dL, kg, °C, %, /min). "
                               "`from`/`to` take a date (a whole day) or a datetime.")
    def get(self, request, patient_id):
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        query, (start, end) = _range(request, VitalQuerySerializer)
        vitals = selectors.vitals_list(patient=patient, kind=query.get("kind"), start=start, end=end)
        return _paginate(self, request, vitals, VitalSerializer)

    @extend_schema(request=VitalInputSerializer, responses={201: VitalSerializer},
                   summary="Record a reading (or a list of readings, saved together)",
                   description="The unit must fit the kind; the value is stored converted to the canonical unit.")
    def post(self, request, patient_id):
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        many = isinstance(request.data, list)
        data = VitalInputSerializer(data=request.data, many=many)
        data.is_valid(raise_exception=True)
        if many:
            vitals = services.vitals_record(patient=patient, readings=data.validated_data)
            return Response(VitalSerializer(vitals, many=True).data, status=status.HTTP_201_CREATED)
        vital = services.vital_record(patient=patient, **data.validated_data)
        return Response(VitalSerializer(vital).data, status=status.HTTP_201_CREATED)


class MedicationListApi(APIView):
    @extend_schema(parameters=[RangeQuerySerializer], responses=MedicationSerializer(many=True),
                   summary="A patient's medications with adherence",
                   description="Adherence counts the intakes scheduled within `from`/`to` (all when left out).")
    def get(self, request, patient_id):
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        _query, (start, end) = _range(request)
        adherence = selectors.medication_adherence(patient=patient, start=start, end=end)
        medications = selectors.medications_list(patient=patient)
        return Response(MedicationSerializer(medications, many=True, context={"adherence": adherence}).data)

    @extend_schema(request=MedicationInputSerializer, responses={201: MedicationSerializer},
                   summary="Prescribe a medication (clinicians)")
    def post(self, request, patient_id):
        patient = _patient_to_manage(request, patient_id)
        data = MedicationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        medication = services.medication_create(patient=patient, prescribed_by=request.user, **data.validated_data)
        return Response(MedicationSerializer(medication).data, status=status.HTTP_201_CREATED)


class MedicationDetailApi(APIView):
    @extend_schema(responses=MedicationSerializer, summary="One medication with its adherence")
    def get(self, request, patient_id, medication_id):
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        medication = selectors.medication_get(patient=patient, medication_id=medication_id)
        adherence = selectors.medication_adherence(patient=patient)
        return Response(MedicationSerializer(medication, context={"adherence": adherence}).data)

    @extend_schema(request=MedicationUpdateSerializer, responses=MedicationSerializer,
                   summary="Change or end a medication (clinicians)")
    def patch(self, request, patient_id, medication_id):
        patient = _patient_to_manage(request, patient_id)
        medication = selectors.medication_get(patient=patient, medication_id=medication_id)
        data = MedicationUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        medication = services.medication_update(medication=medication, **data.validated_data)
        return Response(MedicationSerializer(medication).data)


class IntakeListApi(APIView):
    @extend_schema(parameters=[IntakeQuerySerializer],
                   responses=inline_serializer("IntakePage", {
                       "count": serializers.IntegerField(), "next": serializers.URLField(allow_null=True),
                       "previous": serializers.URLField(allow_null=True), "results": IntakeSerializer(many=True),
                       "adherence": AdherenceSerializer(many=True)}),
                   summary="A patient's scheduled intakes, with adherence per medication",
                   description="Adherence = intakes taken, on time or late, / scheduled intakes recorded in the "
                               "range. `on_time` counts only those taken at most 60 minutes after the scheduled "
                               "time.")
    def get(self, request, patient_id):
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        query, (start, end) = _range(request, IntakeQuerySerializer)
        medication_id = query.get("medication")
        if medication_id is not None:
            selectors.medication_get(patient=patient, medication_id=medication_id)
        intakes = selectors.intakes_list(patient=patient, medication_id=medication_id, start=start, end=end)
        adherence = [AdherenceSerializer(a).data
                     for a in selectors.medication_adherence(patient=patient, start=start, end=end).values()
                     if medication_id is None or a.medication_id == medication_id]
        return _paginate(self, request, intakes, IntakeSerializer, IntakePagination, adherence=adherence)

    @extend_schema(request=IntakeInputSerializer, responses={201: IntakeSerializer, 200: IntakeSerializer},
                   summary="Record a scheduled intake: taken (taken_at) or missed (no taken_at)",
                   description="The status follows from the times: taken at most 60 minutes after the scheduled "
                               "time is `taken`, later is `late`, not taken is `missed`. Recording the same "
                               "scheduled time again corrects it (200).")
    def post(self, request, patient_id):
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        data = IntakeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        medication = selectors.medication_get(patient=patient, medication_id=fields.pop("medication"))
        intake, created = services.intake_record(medication=medication, **fields)
        return Response(IntakeSerializer(intake).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CareAlertListApi(APIView):
    pagination_class = Pagination

    @extend_schema(parameters=[CareAlertQuerySerializer], responses=CareAlertSerializer(many=True),
                   summary="A patient's care alerts, newest first (clinicians)",
                   description="Kept until a clinician marks them seen; 'patient.alert' on /ws/notifications/ "
                               "announces a new one. They name what happened, never the patient's words.")
    def get(self, request, patient_id):
        patient = _patient_to_manage(request, patient_id)
        alerts = selectors.care_alerts_list(patient=patient, open_only=_query(CareAlertQuerySerializer,
                                                                              request)["open"])
        return _paginate(self, request, alerts, CareAlertSerializer)


class CareAlertSeenApi(APIView):
    @extend_schema(request=None, responses=CareAlertSerializer, summary="Mark a care alert seen (clinicians)")
    def post(self, request, patient_id, alert_id):
        patient = _patient_to_manage(request, patient_id)
        alert = selectors.care_alert_get(patient=patient, alert_id=alert_id)
        return Response(CareAlertSerializer(services.care_alert_mark_seen(alert=alert, clinician=request.user)).data)


class FhirApi(APIView):
    parser_classes = [FhirBundleParser, FhirJsonParser]
    renderer_classes = [JSONRenderer, FhirJsonRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            # An error is ours, not a FHIR resource: JSON, whichever format the bundle was asked in.
            response.accepted_renderer, response.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return response

    @extend_schema(responses={200: OpenApiResponse(description="A FHIR R4 Bundle (type collection)")},
                   parameters=[OpenApiParameter("format", str, enum=["json", "fhir"], required=False)],
                   summary="Export the patient's vitals and medications as a FHIR R4 Bundle")
    def get(self, request, patient_id):
        patient = selectors.patient_get(user=request.user, patient_id=patient_id)
        return Response(selectors.patient_fhir_bundle(patient=patient))

    @extend_schema(request={"application/fhir+json": OpenApiTypes.OBJECT, "application/json": OpenApiTypes.OBJECT},
                   responses={201: ImportResultSerializer, 200: ImportResultSerializer},
                   summary="Import a FHIR R4 Bundle of vital-sign Observations and MedicationStatements (clinicians)",
                   description="All or nothing: an invalid entry rejects the bundle (400), naming each failing "
                               "entry by index and fullUrl. Readings and medications already recorded are not "
                               "imported twice.")
    def post(self, request, patient_id):
        patient = _patient_to_manage(request, patient_id)
        result = services.fhir_bundle_import(patient=patient, bundle=request.data)
        created = result.vitals or result.medications
        return Response(ImportResultSerializer(result).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

