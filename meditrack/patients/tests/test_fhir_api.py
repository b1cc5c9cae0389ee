"""FHIR R4 import and export: all or nothing, failing entries named, and an export that re-imports cleanly."""

import copy
from datetime import timedelta

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from meditrack.patients.models import Medication, Vital

pytestmark = pytest.mark.django_db
URL = "/api/v1/patients/PAT-001/fhir"
WHEN = (timezone.now() - timedelta(days=3)).replace(microsecond=0).isoformat()


def observation(code, value, unit, *, full_url=None, system="http://loinc.org", when=WHEN, **extra):
    resource = {"resourceType": "Observation", "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                          "code": "vital-signs"}]}],
                "code": {"coding": [{"system": system, "code": code}]},
                "subject": {"reference": "urn:uuid:patient"}, "effectiveDateTime": when,
                "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
                **extra}
    return {"fullUrl": full_url or f"urn:uuid:obs-{code}-{value}", "resource": resource}


def bp_panel(systolic, diastolic):
    def component(code, value):
        return {"code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "valueQuantity": {"value": value, "unit": "mmHg", "system": "http://unitsofmeasure.org",
                                  "code": "mm[Hg]"}}
    entry = observation("85354-9", 0, "mm[Hg]", full_url="urn:uuid:bp-panel")
    del entry["resource"]["valueQuantity"]
    entry["resource"]["component"] = [component("8480-6", systolic), component("8462-4", diastolic)]
    return entry


def statement(**extra):
    resource = {"resourceType": "MedicationStatement", "status": "active",
                "medicationReference": {"reference": "urn:uuid:med-metformin"},
                "subject": {"reference": "urn:uuid:patient"},
                "effectivePeriod": {"start": "2024-01-15"},
                "informationSource": {"display": "Dr. Somebody"},
                "dosage": [{"timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
                            "doseAndRate": [{"doseQuantity": {"value": 500, "unit": "mg"}}]}], **extra}
    return {"fullUrl": "urn:uuid:statement-1", "resource": resource}


def bundle(*entries):
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:patient", "resource": {"resourceType": "Patient", "id": "p1"}},
        {"fullUrl": "urn:uuid:med-metformin", "resource": {"resourceType": "Medication",
                                                           "code": {"coding": [{"display": "Metformin"}]}}},
        *entries]}


GOOD = bundle(
    bp_panel(152, 96),
    observation("8867-4", 78, "/min"),
    observation("15074-8", 7.2, "mmol/L"),
    observation("29463-7", 180, "[lb_av]"),
    observation("8310-5", 37.1, "Cel"),
    observation("2708-6", 97, "%"),
    observation("9279-1", 16, "/min"),
    statement(),
)


def test_the_clinician_imports_a_bundle(clinician_api, record):
    r = clinician_api.post(URL, GOOD, format="json")
    assert r.status_code == 201, r.json()
    assert r.json() == {"imported": {"vitals": 8, "medications": 1}, "duplicates": 0, "skipped": []}
    got = {v.kind: (v.value, v.unit, v.source) for v in Vital.objects.filter(patient=record)}
    assert got["bp_systolic"] == (152, "mmHg", "fhir") and got["bp_diastolic"][0] == 96
    assert got["glucose"] == (129.72, "mg/dL", "fhir")
    assert got["weight"] == (81.65, "kg", "fhir")
    medication = Medication.objects.get(patient=record)
    assert (medication.name, medication.dose, medication.unit, medication.schedule, str(medication.start),
            medication.prescriber) == ("Metformin", 500, "mg", "twice daily", "2024-01-15", "Dr. Somebody")


def test_it_takes_the_fhir_media_type(clinician_api, record):
    import json

    r = clinician_api.post(URL, json.dumps(GOOD), content_type="application/fhir+json")
    assert r.status_code == 201


def broken(index, change):
    body = copy.deepcopy(GOOD)
    change(body["entry"][index]["resource"])
    return body


def set_code(code):
    def change(resource):
        resource["code"]["coding"][0]["code"] = code
    return change


@pytest.mark.parametrize(("body", "index", "says"), [
    (broken(3, set_code("1234-5")), 3, "unknown LOINC code (1234-5)"),
    (broken(3, lambda r: r["code"]["coding"][0].update(system="http://snomed.info/sct")), 3, "no LOINC coding"),
    (broken(3, lambda r: r["subject"].update(reference="urn:uuid:nobody")), 3, "subject: reference does not resolve"),
    (broken(9, lambda r: r["medicationReference"].update(reference="urn:uuid:nothing")), 9,
     "medicationReference: reference does not resolve"),
    (broken(9, lambda r: r["medicationReference"].update(reference="urn:uuid:patient")), 9,
     "does not point at a Medication"),
    (broken(3, lambda r: r["valueQuantity"].update(unit="kg", code="kg")), 3, "valueQuantity.unit"),
    (broken(3, lambda r: r["valueQuantity"].update(value=900)), 3, "valueQuantity.value: Implausible"),
    (broken(3, lambda r: r.update(effectiveDateTime="2999-01-01T00:00:00Z")), 3, "in the future"),
    (broken(3, lambda r: r.update(effectiveDateTime="last tuesday")), 3, "Observation.effectiveDateTime"),
    (broken(3, lambda r: r.pop("effectiveDateTime")), 3, "effective[x]"),
    (broken(3, lambda r: r.update(status="registered")), 3, "Observation.status"),
    (broken(2, lambda r: r["component"][1]["code"]["coding"][0].update(code="8478-0")), 2, "blood pressure panel"),
    (broken(9, lambda r: r.pop("dosage")), 9, "dosage"),
    (broken(9, lambda r: r["dosage"][0].pop("timing")), 9, "say when it is taken"),
    (broken(9, lambda r: r["effectivePeriod"].update(end="2023-01-01")), 9, "end date is before the start"),
    (broken(0, lambda r: r.update(identifier=[{"system": "https://meditrack.local/fhir/patient-id",
                                               "value": "PAT-002"}])), 0, "for a different patient"),
])
def test_an_invalid_entry_rejects_the_bundle_naming_it(clinician_api, record, body, index, says):
    r = clinician_api.post(URL, body, format="json")
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid_bundle"
    full_url = body["entry"][index]["fullUrl"]
    message = error["fields"][f"entry[{index}]"][0]
    assert message.startswith(f"entry[{index}] ({full_url}):")
    assert says in message, message
    assert f"entry[{index}]" in error["detail"]
    assert not Vital.objects.exists() and not Medication.objects.exists()


def test_it_names_every_failing_entry(clinician_api, record):
    body = broken(3, set_code("0000-0"))
    body["entry"][4]["resource"]["subject"]["reference"] = "Patient/nobody"
    fields = clinician_api.post(URL, body, format="json").json()["error"]["fields"]
    assert set(fields) == {"entry[3]", "entry[4]"}


@pytest.mark.parametrize("body", [
    {"resourceType": "Observation"},
    {"resourceType": "Bundle"},
    {"resourceType": "Bundle", "type": "collection", "entry": "nope"},
    {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": "urn:uuid:x"}]},
    {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Observation"}}]},
    [1, 2, 3],
])
def test_it_rejects_what_is_not_a_valid_bundle(clinician_api, record, body):
    r = clinician_api.post(URL, body, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_bundle"


def test_error_messages_carry_no_submitted_values(clinician_api, record):
    body = broken(9, lambda r: r.update(medicationCodeableConcept={"text": 123}, medicationReference=None))
    body["entry"][3]["resource"]["valueQuantity"]["value"] = "SECRET-VALUE"
    text = clinician_api.post(URL, body, format="json").content.decode()
    assert "SECRET-VALUE" not in text


def test_it_skips_entries_in_error_and_resources_it_does_not_import(clinician_api, record):
    body = bundle(observation("8867-4", 70, "/min"), observation("8867-4", 71, "/min", status="entered-in-error"),
                  {"fullUrl": "urn:uuid:enc", "resource": {"resourceType": "Encounter", "status": "finished"}})
    body["entry"][3]["resource"]["status"] = "entered-in-error"
    r = clinician_api.post(URL, body, format="json").json()
    assert r["imported"] == {"vitals": 1, "medications": 0}
    assert [s["index"] for s in r["skipped"]] == [3, 4]


def test_a_patient_may_export_but_not_import(patient_api, record):
    assert patient_api.get(URL).status_code == 200
    assert patient_api.post(URL, GOOD, format="json").status_code == 403
    assert not Vital.objects.exists()


def test_the_export_is_a_valid_bundle_that_reimports_cleanly(clinician_api, record, medication):
    assert clinician_api.post(URL, GOOD, format="json").status_code == 201
    Vital.objects.create(patient=record, kind="spo2", value=96, unit="%", measured_at=timezone.now())
    before_vitals = sorted(Vital.objects.values_list("kind", "value", "unit", "measured_at"))
    before_meds = sorted(Medication.objects.values_list("name", "dose", "unit", "schedule", "start", "end",
                                                        "prescriber"))
    r = clinician_api.get(URL)
    assert r.status_code == 200
    exported = r.json()
    parsed = Bundle.model_validate(exported)
    assert parsed.type == "collection" and len(parsed.entry) == 1 + 9 + 2

    # Importing it again into the same patient changes nothing...
    again = clinician_api.post(URL, exported, format="json").json()
    assert again == {"imported": {"vitals": 0, "medications": 0}, "duplicates": 11, "skipped": []}
    # ...and into an emptied record it restores everything as it was.
    Vital.objects.all().delete()
    Medication.objects.all().delete()
    r = clinician_api.post(URL, exported, format="json")
    assert r.json()["imported"] == {"vitals": 9, "medications": 2}
    assert sorted(Vital.objects.values_list("kind", "value", "unit", "measured_at")) == before_vitals
    assert sorted(Medication.objects.values_list("name", "dose", "unit", "schedule", "start", "end",
                                                  "prescriber")) == before_meds


def test_the_export_can_be_asked_for_as_fhir_json(patient_api, record):
    r = patient_api.get(URL, HTTP_ACCEPT="application/fhir+json")
    assert r.status_code == 200 and r["Content-Type"] == "application/fhir+json"


def test_another_patients_export_does_not_import_here(clinician_api, other_clinician_api, record, other_record):
    Vital.objects.create(patient=other_record, kind="heart_rate", value=70, unit="bpm", measured_at=timezone.now())
    exported = other_clinician_api.get("/api/v1/patients/PAT-002/fhir").json()
    r = clinician_api.post(URL, exported, format="json")
    assert r.status_code == 400
    assert "for a different patient" in r.json()["error"]["detail"]
    assert not Vital.objects.filter(patient=record).exists()


def test_a_bundle_too_large_is_refused_before_it_is_read(clinician_api, record, monkeypatch):
    monkeypatch.setattr("meditrack.patients.api.FHIR_MAX_BYTES", 1000)
    r = clinician_api.post(URL, bundle(*[observation("8867-4", 60, "/min", full_url=f"urn:uuid:{i}")
                                         for i in range(10)]), format="json")
    assert r.status_code == 413
    assert not Vital.objects.exists()


def test_a_large_bundle_imports_in_one_go(clinician_api, record):
    start = timezone.now() - timedelta(days=300)
    entries = [observation("8867-4", 60 + i % 30, "/min", full_url=f"urn:uuid:hr-{i}",
                           when=(start + timedelta(hours=i)).replace(microsecond=0).isoformat())
               for i in range(3000)]
    r = clinician_api.post(URL, bundle(*entries), format="json")
    assert r.status_code == 201, r.json()
    assert Vital.objects.filter(patient=record).count() == 3000


@pytest.mark.parametrize(("change", "says"), [
    (lambda r: r["dosage"][0].update(text="twice\x00daily"), "MedicationStatement.dosage[0]"),
    (lambda r: r.update(informationSource={"display": "Dr.\x00Who"}), "MedicationStatement.informationSource"),
    (lambda r: r.update(medicationReference=None, medicationCodeableConcept={"text": "Metformin\x00"}),
     "MedicationStatement.medication[x]"),
    (lambda r: r["dosage"][0].update(text="twice\x1bdaily"), "MedicationStatement.dosage[0]"),
])
def test_it_rejects_control_characters_in_a_medication_naming_the_entry(clinician_api, record, change, says):
    body = broken(9, change)
    body["entry"][9]["resource"] = {k: v for k, v in body["entry"][9]["resource"].items() if v is not None}
    r = clinician_api.post(URL, body, format="json")
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["code"] == "invalid_bundle"
    message = error["fields"]["entry[9]"][0]
    assert message.startswith("entry[9] (urn:uuid:statement-1):") and says in message, message
    assert "control character" in message
    assert not Vital.objects.exists() and not Medication.objects.exists()
