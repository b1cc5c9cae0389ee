"""FHIR R4 Bundles in and out, through ``fhir.resources`` (its R4B models: R4B changed nothing in the
Observation, MedicationStatement, Medication, Patient or Bundle elements used here).

Import (``bundle_parse``): every entry is validated against its resource model; vital-sign
Observations are mapped by LOINC code (a blood-pressure panel by its components) and
MedicationStatements by their medication, first dosage and effective period. References (subject,
medicationReference) must resolve inside the bundle (by fullUrl, ``Type/id`` or ``#contained``), or
name the target patient itself. Nothing is written here: the service validates the values with the
same rules as manual input and saves everything in one transaction. Every failure names its entry
(index and fullUrl); messages carry codes and paths, never the values themselves.

Export (``bundle_build``): a ``collection`` Bundle with the Patient, one Observation per stored
reading (canonical unit, UCUM-coded) and one MedicationStatement per medication, which
``bundle_parse`` reads back unchanged.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time

import pydantic
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medication import Medication as FhirMedication
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient

from meditrack.errors import ApplicationError
from meditrack.patients import thresholds as t

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
PATIENT_ID_SYSTEM = "https://meditrack.local/fhir/patient-id"
MAX_ENTRIES = 20_000
MAX_ERRORS = 50
_NAMESPACE = uuid.UUID("1b4e28ba-2fa1-11d2-883f-0016d3cca427")

# LOINC → vital kind. Several codes may mean one kind (glucose by mass or by moles, SpO2 by pulse
# oximetry or arterial). The first code listed per kind is the one an export writes.
LOINC_KINDS: dict[str, str] = {
    "8480-6": t.SYSTOLIC,
    "8462-4": t.DIASTOLIC,
    "8867-4": t.HEART_RATE,
    "2339-0": t.GLUCOSE,      # Glucose [Mass/volume] in Blood
    "15074-8": t.GLUCOSE,     # Glucose [Moles/volume] in Blood
    "2345-7": t.GLUCOSE,      # Glucose [Mass/volume] in Serum or Plasma
    "29463-7": t.WEIGHT,
    "8310-5": t.TEMPERATURE,
    "59408-5": t.SPO2,        # Oxygen saturation in Arterial blood by Pulse oximetry
    "2708-6": t.SPO2,         # Oxygen saturation in Arterial blood
    "9279-1": t.RESPIRATORY_RATE,
}
BP_PANELS = {"85354-9", "55284-4"}  # Blood pressure panel with all children optional; BP systolic & diastolic
EXPORT_CODES: dict[str, tuple[str, str]] = {
    t.SYSTOLIC: ("8480-6", "Systolic blood pressure"),
    t.DIASTOLIC: ("8462-4", "Diastolic blood pressure"),
    t.HEART_RATE: ("8867-4", "Heart rate"),
    t.GLUCOSE: ("2339-0", "Glucose [Mass/volume] in Blood"),
    t.WEIGHT: ("29463-7", "Body weight"),
    t.TEMPERATURE: ("8310-5", "Body temperature"),
    t.SPO2: ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
    t.RESPIRATORY_RATE: ("9279-1", "Respiratory rate"),
}

RESOURCE_MODELS = {"Observation": Observation, "MedicationStatement": MedicationStatement,
                   "Medication": FhirMedication, "Patient": FhirPatient}
BUNDLE_TYPES = {"collection", "transaction", "batch", "searchset", "document", "transaction-response",
                "batch-response", "history", "message"}
OBSERVATION_IMPORTED = {"final", "amended", "corrected", "preliminary"}
OBSERVATION_SKIPPED = {"cancelled", "entered-in-error"}
STATEMENT_IMPORTED = {"active", "completed", "stopped", "on-hold", "intended", "unknown"}
STATEMENT_SKIPPED = {"entered-in-error", "not-taken"}
PERIOD_UNITS = {"s": "second", "min": "minute", "h": "hour", "d": "day", "wk": "week", "mo": "month", "a": "year"}


@dataclass
class VitalReading:
    index: int
    full_url: str
    quantity_path: str
    kind: str
    value: float
    unit: str
    measured_at: datetime

    def fhir_path(self, name: str) -> str:
        return {"value": f"{self.quantity_path}.value", "unit": f"{self.quantity_path}.unit",
                "measured_at": "Observation.effective[x]"}.get(name, "Observation")


@dataclass
class MedicationRecord:
    index: int
    full_url: str
    name: str
    dose: float
    unit: str
    schedule: str
    start: date
    end: date | None
    prescriber: str

    def fhir_path(self, name: str) -> str:
        return {"name": "MedicationStatement.medication[x]",
                "dose": "MedicationStatement.dosage[0].doseAndRate[0].doseQuantity.value",
                "unit": "MedicationStatement.dosage[0].doseAndRate[0].doseQuantity.unit",
                "schedule": "MedicationStatement.dosage[0]",
                "start": "MedicationStatement.effective[x]",
                "end": "MedicationStatement.effectivePeriod.end",
                "prescriber": "MedicationStatement.informationSource.display"}.get(name, "MedicationStatement")


@dataclass
class Parsed:
    items: list[VitalReading | MedicationRecord] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


class EntryErrors:
    """Collects what is wrong with which entry; raises one ApplicationError naming them all."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}
        self.first: str | None = None

    def add(self, index: int | None, full_url: str | None, message: str) -> None:
        key = "bundle" if index is None else f"entry[{index}]"
        where = key if not full_url else f"{key} ({_short(full_url)})"
        if self.first is None:
            self.first = f"{where}: {message}"
        if len(self.fields) < MAX_ERRORS or key in self.fields:
            self.fields.setdefault(key, []).append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.first is not None:
            more = sum(len(v) for v in self.fields.values()) - 1
            detail = "Invalid bundle, nothing was imported. " + self.first + (f" (and {more} more)" if more else "")
            raise ApplicationError(detail, code="invalid_bundle", fields=self.fields)


class _EntryError(Exception):
    pass


def _short(text: str, limit: int = 100) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pydantic_messages(exc: pydantic.ValidationError, prefix: str) -> list[str]:
    # include_input=False: the values a client sent (possibly clinical text) never reach the message.
    out = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        path = ".".join(str(p) for p in error["loc"])
        out.append(f"{prefix}{'.' + path if path else ''}: {error['msg']}")
    return out


def _as_datetime(value) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    if isinstance(value, date):  # a date alone (or a year-month, which the library widens): its midnight
        return timezone.make_aware(datetime.combine(value, time.min))
    return None


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return None


class _Index:
    """Where each entry can be found by reference."""

    def __init__(self):
        self.by_full_url: dict[str, int] = {}
        self.by_type_id: dict[str, int] = {}
        self.resources: dict[int, object] = {}

    def add(self, index: int, full_url: str | None, resource) -> None:
        self.resources[index] = resource
        if full_url:
            self.by_full_url.setdefault(full_url, index)
            tail = "/".join(full_url.rstrip("/").split("/")[-2:])
            if tail.startswith(resource.get_resource_type() + "/"):
                self.by_type_id.setdefault(tail, index)
        if getattr(resource, "id", None):
            self.by_type_id.setdefault(f"{resource.get_resource_type()}/{resource.id}", index)

    def resolve(self, reference: str):
        if reference in self.by_full_url:
            return self.resources[self.by_full_url[reference]]
        tail = "/".join(reference.rstrip("/").split("/")[-2:])
        if tail in self.by_type_id:
            return self.resources[self.by_type_id[tail]]
        return None


def _check_subject(resource, index: _Index, patient_id: str, path: str) -> None:
    subject = getattr(resource, "subject", None)
    if subject is None:
        return
    if subject.reference:
        target = index.resolve(subject.reference)
        if target is None:
            if subject.reference.split("/")[-2:] == ["Patient", patient_id]:
                return  # names the target patient directly
            raise _EntryError(f"{path}.subject: reference does not resolve to an entry in this bundle")
        if target.get_resource_type() != "Patient":
            raise _EntryError(f"{path}.subject: reference does not point at a Patient")
        return
    if subject.identifier is not None:
        if subject.identifier.system == PATIENT_ID_SYSTEM and subject.identifier.value != patient_id:
            raise _EntryError(f"{path}.subject.identifier: names a different patient")
        return
    raise _EntryError(f"{path}.subject: neither a reference nor an identifier")


def _loinc_codes(concept) -> list[str]:
    return [c.code for c in (concept.coding or []) if c.system == LOINC and c.code] if concept else []


def _quantity(quantity, path: str) -> tuple[float, str]:
    if quantity is None or quantity.value is None:
        raise _EntryError(f"{path}: a valueQuantity with a value is required")
    unit = quantity.code if quantity.code and quantity.system in (None, UCUM) else quantity.unit
    if not unit:
        raise _EntryError(f"{path}: a unit (code or unit) is required")
    return float(quantity.value), unit


def _observation(obs: Observation, i: int, full_url: str, idx: _Index, patient_id: str) -> list[VitalReading]:
    _check_subject(obs, idx, patient_id, "Observation")
    measured_at = _as_datetime(obs.effectiveDateTime or obs.effectiveInstant
                               or (obs.effectivePeriod.start if obs.effectivePeriod else None))
    if measured_at is None:
        raise _EntryError("Observation.effective[x]: a dateTime, instant or period start is required")
    codes = _loinc_codes(obs.code)
    if not codes:
        raise _EntryError("Observation.code: no LOINC coding (system http://loinc.org)")
    if BP_PANELS & set(codes):
        readings = []
        for n, component in enumerate(obs.component or []):
            kinds = [LOINC_KINDS[c] for c in _loinc_codes(component.code) if c in LOINC_KINDS]
            if not kinds or kinds[0] not in (t.SYSTOLIC, t.DIASTOLIC):
                unknown = ", ".join(_loinc_codes(component.code)) or "none"
                raise _EntryError(f"Observation.component[{n}].code: unknown LOINC code ({_short(unknown, 40)}) "
                                  "in a blood pressure panel")
            path = f"Observation.component[{n}].valueQuantity"
            value, unit = _quantity(component.valueQuantity, path)
            readings.append(VitalReading(i, full_url, path, kinds[0], value, unit, measured_at))
        if not readings:
            raise _EntryError("Observation.component: a blood pressure panel needs systolic and/or diastolic")
        return readings
    known = [c for c in codes if c in LOINC_KINDS]
    if not known:
        raise _EntryError(f"Observation.code: unknown LOINC code ({_short(', '.join(codes), 40)})")
    value, unit = _quantity(obs.valueQuantity, "Observation.valueQuantity")
    return [VitalReading(i, full_url, "Observation.valueQuantity", LOINC_KINDS[known[0]], value, unit, measured_at)]


def _concept_name(concept) -> str:
    if concept is None:
        return ""
    if concept.text:
        return concept.text
    for coding in concept.coding or []:
        if coding.display or coding.code:
            return coding.display or coding.code
    return ""


def _schedule(dosage) -> str:
    if dosage.text:
        return dosage.text
    timing = dosage.timing
    if timing is not None and timing.code is not None and _concept_name(timing.code):
        return _concept_name(timing.code)
    repeat = timing.repeat if timing is not None else None
    if repeat is not None and repeat.period and repeat.periodUnit in PERIOD_UNITS:
        frequency = repeat.frequency or 1
        period = float(repeat.period)
        unit = PERIOD_UNITS[repeat.periodUnit]
        if period == 1 and unit == "day":
            return {1: "once daily", 2: "twice daily", 3: "three times daily"}.get(frequency,
                                                                                   f"{frequency} times daily")
        every = f"every {period:g} {unit}s" if period != 1 else f"every {unit}"
        return every if frequency == 1 else f"{frequency} times {every}"
    if dosage.asNeededBoolean or dosage.asNeededCodeableConcept is not None:
        return "as needed"
    return ""


def _statement(st: MedicationStatement, i: int, full_url: str, idx: _Index, patient_id: str) -> MedicationRecord:
    _check_subject(st, idx, patient_id, "MedicationStatement")
    if st.medicationCodeableConcept is not None:
        name = _concept_name(st.medicationCodeableConcept)
    else:
        ref = st.medicationReference.reference if st.medicationReference else None
        if not ref:
            raise _EntryError("MedicationStatement.medicationReference: a reference is required")
        if ref.startswith("#"):
            target = next((c for c in (st.contained or []) if c.id == ref[1:]), None)
        else:
            target = idx.resolve(ref)
        if target is None:
            raise _EntryError("MedicationStatement.medicationReference: reference does not resolve to an entry "
                              "in this bundle")
        if target.get_resource_type() != "Medication":
            raise _EntryError("MedicationStatement.medicationReference: reference does not point at a Medication")
        name = _concept_name(target.code)
    if not name:
        raise _EntryError("MedicationStatement.medication[x]: the medication has no name (text, display or code)")
    if not st.dosage:
        raise _EntryError("MedicationStatement.dosage: a dosage with a dose is required")
    dosage = st.dosage[0]
    dose_quantity = dosage.doseAndRate[0].doseQuantity if dosage.doseAndRate else None
    if dose_quantity is None or dose_quantity.value is None:
        raise _EntryError("MedicationStatement.dosage[0].doseAndRate[0].doseQuantity: a dose is required")
    unit = dose_quantity.unit or dose_quantity.code
    if not unit:
        raise _EntryError("MedicationStatement.dosage[0].doseAndRate[0].doseQuantity: a unit is required")
    schedule = _schedule(dosage)
    if not schedule:
        raise _EntryError("MedicationStatement.dosage[0]: say when it is taken (text, timing or asNeeded)")
    period = st.effectivePeriod
    start = _as_date(st.effectiveDateTime or (period.start if period else None))
    if start is None:
        raise _EntryError("MedicationStatement.effective[x]: a start (effectiveDateTime or effectivePeriod.start) "
                          "is required")
    end = _as_date(period.end) if period else None
    prescriber = (st.informationSource.display or "") if st.informationSource else ""
    return MedicationRecord(i, full_url, name, float(dose_quantity.value), unit, schedule, start, end, prescriber)


def bundle_parse(body, *, patient_id: str) -> Parsed:
    """The readings and medications in a FHIR R4 Bundle meant for this patient. Raises ApplicationError
    (400, ``invalid_bundle``) naming every failing entry, or (413) when it has too many entries."""
    errors = EntryErrors()
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise ApplicationError("Expected a FHIR Bundle (resourceType Bundle).", code="invalid_bundle",
                               fields={"resourceType": ["Expected a FHIR Bundle."]})
    entries = body.get("entry") or []
    if not isinstance(entries, list):
        raise ApplicationError("Bundle.entry must be a list.", code="invalid_bundle",
                               fields={"entry": ["Must be a list."]})
    if len(entries) > MAX_ENTRIES:
        raise ApplicationError(f"At most {MAX_ENTRIES} entries per bundle.", code="too_large", status_code=413)
    try:
        envelope = Bundle.model_validate({k: v for k, v in body.items() if k != "entry"})
    except pydantic.ValidationError as exc:
        for message in _pydantic_messages(exc, "Bundle"):
            errors.add(None, None, message)
        errors.raise_if_any()
    if envelope.type not in BUNDLE_TYPES:
        errors.add(None, None, "Bundle.type: not a FHIR bundle type")

    idx, skipped, patients, full_urls = _Index(), [], [], {}
    for i, entry in enumerate(entries):
        full_url = entry.get("fullUrl") if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str) else ""
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            errors.add(i, full_url, "resource: a resource with a resourceType is required")
            continue
        if full_url:
            if full_url in full_urls:
                errors.add(i, full_url, f"fullUrl: the same as entry[{full_urls[full_url]}]")
                continue
            full_urls[full_url] = i
        kind = resource["resourceType"]
        model = RESOURCE_MODELS.get(kind)
        if model is None:
            skipped.append({"index": i, "fullUrl": full_url,
                            "reason": f"{_short(kind, 40)} resources are not imported"})
            continue
        try:
            parsed = model.model_validate(resource)
        except pydantic.ValidationError as exc:
            for message in _pydantic_messages(exc, kind):
                errors.add(i, full_url, message)
            continue
        except (TypeError, ValueError, KeyError):
            errors.add(i, full_url, f"{kind}: not a valid resource")
            continue
        idx.add(i, full_url, parsed)
        if kind == "Patient":
            patients.append(i)
            for identifier in parsed.identifier or []:
                if identifier.system == PATIENT_ID_SYSTEM and identifier.value != patient_id:
                    errors.add(i, full_url, "Patient.identifier: this bundle is for a different patient")
            if len(patients) > 1:
                errors.add(i, full_url, f"Patient: a second patient (entry[{patients[0]}] is the first); "
                                        "a bundle imports into one patient")
    errors.raise_if_any()

    result = Parsed(skipped=skipped)
    for i, resource in sorted(idx.resources.items()):
        kind = resource.get_resource_type()
        full_url = entries[i].get("fullUrl") or ""
        if kind == "Observation":
            status = resource.status
            if status in OBSERVATION_SKIPPED:
                result.skipped.append({"index": i, "fullUrl": full_url, "reason": f"status {status}"})
                continue
            if status not in OBSERVATION_IMPORTED:
                errors.add(i, full_url, f"Observation.status: {_short(status, 30)} cannot be imported "
                                        f"(use one of: {', '.join(sorted(OBSERVATION_IMPORTED))})")
                continue
            handler = _observation
        elif kind == "MedicationStatement":
            status = resource.status
            if status in STATEMENT_SKIPPED:
                result.skipped.append({"index": i, "fullUrl": full_url, "reason": f"status {status}"})
                continue
            if status not in STATEMENT_IMPORTED:
                errors.add(i, full_url, f"MedicationStatement.status: {_short(status, 30)} cannot be imported")
                continue
            handler = _statement
        else:
            continue  # Patient and Medication entries are reference targets
        try:
            found = handler(resource, i, full_url, idx, patient_id)
        except _EntryError as exc:
            errors.add(i, full_url, str(exc))
            continue
        result.items.extend(found if isinstance(found, list) else [found])
    errors.raise_if_any()
    result.skipped.sort(key=lambda s: s["index"])
    return result


# Export -----------------------------------------------------------------------------------------

def _urn(kind: str, key) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}:{key}')}"


def bundle_build(*, patient, vitals, medications, now: datetime | None = None) -> dict:
    """A FHIR R4 ``collection`` Bundle of the patient, their readings and their medications."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    patient_url = _urn("patient", patient.patient_id)
    patient_resource = {"resourceType": "Patient", "id": patient.patient_id,
                        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": patient.patient_id}],
                        "name": [{"text": patient.name}], "gender": patient.sex}
    if patient.date_of_birth:
        patient_resource["birthDate"] = patient.date_of_birth.isoformat()
    entries = [{"fullUrl": patient_url, "resource": patient_resource}]
    subject = {"reference": patient_url}
    category = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                             "code": "vital-signs", "display": "Vital Signs"}]}]
    for v in vitals:
        code, display = EXPORT_CODES[v.kind]
        entries.append({"fullUrl": _urn("vital", v.pk), "resource": {
            "resourceType": "Observation", "id": f"vital-{v.pk}", "status": "final", "category": category,
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
            "subject": subject, "effectiveDateTime": v.measured_at.isoformat(),
            "valueQuantity": {"value": v.value, "unit": v.unit, "system": UCUM, "code": t.UCUM[v.kind]},
        }})
    for m in medications:
        period = {"start": m.start.isoformat()}
        if m.end:
            period["end"] = m.end.isoformat()
        statement = {
            "resourceType": "MedicationStatement", "id": f"medication-{m.pk}",
            "status": "completed" if m.end and m.end < today else "active",
            "medicationCodeableConcept": {"text": m.name}, "subject": subject, "effectivePeriod": period,
            "dosage": [{"text": m.schedule, "doseAndRate": [{"doseQuantity": {"value": m.dose, "unit": m.unit}}]}],
        }
        if m.prescriber:
            statement["informationSource"] = {"display": m.prescriber}
        entries.append({"fullUrl": _urn("medication", m.pk), "resource": statement})
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "collection",
            "timestamp": now.isoformat(), "entry": entries}
