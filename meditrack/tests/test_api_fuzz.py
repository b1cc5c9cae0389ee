"""Schemathesis over the OpenAPI schema the app serves (/api/schema/), in this process, as a patient and as a
clinician. Every operation is called with generated requests, valid and invalid, whose ids are sometimes the
patient's or the clinician's own records; each request is sent as each of them, and every answer must be no server
error and match the schema: its status code, its content type and its body. Then a stateful run per user follows
the links schemathesis infers between operations (a chat session created, read, replied to, deleted).

Everything is real: PostgreSQL, Redis, a Celery worker writing chat replies and reports, coaching practice turns
and speaking with espeak-ng; the models it calls are on the loopback model server. No operation is left out: the
two logout operations run with a throwaway user's token, so they do not end the callers'."""

import importlib
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from django.apps import apps
from django.utils import timezone
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle

from assistant import documents
from assistant import services as chat
from assistant.models import EMBEDDING_DIMENSIONS, Message
from journal import services as journal
from meditrack.patients import services as patients
from meditrack.reports import services as reports
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.people import make_user, token_for
from meditrack.testing.waiting import wait_until
from meditrack.wsgi import application
from speech import practice
from speech import services as speech
from speech.models import Lesson

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # chat/send streams from an async iterator, which Django under WSGI reads whole before answering, and says so.
    pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume asynchronous iterators"),
]

# Bounded so the file runs in about a minute; derandomized with a fixed seed so CI sees the same cases every run.
# The coverage phase's boundary values are the valid ones: its thousands of invalid variants cost more than the
# rest together, and the fuzzing phase sends invalid requests too.
CONFIG = {
    "seed": 16,
    "generation": {"max-examples": 6, "deterministic": True, "database": "none"},
    "phases": {"coverage": {"unexpected-methods": [], "generation": {"mode": "positive"}}},
    "checks": {
        "enabled": False,
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
    },
}
STATEFUL = hypothesis.settings(max_examples=10, stateful_step_count=6, derandomize=True, deadline=None,
                               database=None, suppress_health_check=list(hypothesis.HealthCheck))
LOGOUT = {"POST /api/v1/auth/logout", "POST /api/v1/auth/logout-all"}
CRISIS = "I can't do this anymore. I want to end my life."


@dataclass
class Caller:
    """One signed-in user: their token and the ids of their records."""

    name: str
    token: str
    ids: dict[str, list]

    def headers(self, case) -> dict:
        # Logging out revokes the token it is sent with (or all the user's): a throwaway user's, here.
        leaving = case.operation.label in LOGOUT
        token = token_for(make_user(f"leaving-{uuid.uuid4().hex}@example.com")) if leaving else self.token
        return {"Authorization": f"Bearer {token}"}

    def check(self, case) -> None:
        try:
            response = case.call_and_validate(headers=self.headers(case))
        except Exception as exc:
            exc.add_note(f"as the {self.name}")
            raise
        # The token is valid: a 401 to a request that carried it to an operation that wants it (the generator also
        # sends some without) would tell a signed-in user to sign in.
        signed_in = {} not in case.operation.definition.raw.get("security", [{}])
        assert not (response.status_code == 401 and signed_in and "Authorization" in response.request.headers), \
            f"{case.operation.label} answered 401 to the {self.name}'s valid token"


@pytest.fixture(autouse=True)
def _fuzzable(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Thousands of requests a minute from two users: past DRF's rates every answer would be a 429. DRF reads
    # the rates once, at import, so the settings fixture cannot raise them.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES",
                        {scope: "100000/minute" for scope in SimpleRateThrottle.THROTTLE_RATES})


@pytest.fixture(autouse=True)
def _node_id(request):
    # schemathesis 4.32 renames a lazy schema's subtests through `node._nodeid`, which pytest 9 no longer has.
    request.node._nodeid = request.node.nodeid


@pytest.fixture
def callers(patient, clinician, record, chat_model, model_server, chat_worker):
    """Alice (a patient) with a journal, a chat, a document, a practice session with its words and a clip; Dr. Carol
    (her clinician) with her record's vitals, medication, care alert, a report and a chat about her. Made through
    the services, as the API makes them."""
    # Analysis and retrieval from hosted models (the loopback server): no local model loads on the shared CPU.
    model_server.embedding_dim = EMBEDDING_DIMENSIONS
    model_server.register("org/sentiment", task="text-classification", labels=("negative", "neutral", "positive"))
    model_server.register("org/emotion", task="text-classification", labels=("joy", "sadness", "neutral"))
    hosted = {"backend": "hf_inference", "base_url": model_server.base_url, "queue": "io"}
    serve(tier("standard", max_new_tokens=512),
          model("sentiment", task="sentiment", model_id="org/sentiment", **hosted),
          model("emotion", task="emotion", model_id="org/emotion", **hosted),
          model("embedder", task="embedding", model_id="meditrack/loopback-embedder", **hosted),
          model("espeak-ng", task="tts", backend="builtin", model_id="espeak-ng", queue="cpu",
                parameters={"voice": "en-us", "rate": 165}, timeout_s=60))
    if not Lesson.objects.exists():  # a transactional test starts with the migrations' rows gone
        importlib.import_module("speech.migrations.0003_seed_lessons").seed(apps, None)
    lesson = Lesson.objects.order_by("pk").first()
    now = timezone.now()

    entry = journal.entry_create(owner=patient, text="Slept well, a short walk.", mood=7, shared_with_care_team=True)
    journal.entry_create(owner=patient, text=CRISIS)  # raises a care alert on her record
    session = chat.session_create(owner=patient, title="Sleep")
    reply = chat.message_send(session=session, content="How did I sleep?")
    wait_until(lambda: Message.objects.get(pk=reply.pk).status != Message.Status.STREAMING, what="the reply")
    plan = b"Care plan: walk for twenty minutes every day; blood pressure checked each morning."
    document = documents.document_create(owner=patient, filename="plan.txt", size=len(plan), read=lambda n: plan[:n])
    clip = speech.speech_synthesize(user=patient, text="Hello.")
    practice_session, words = practice.practice_session_create(owner=patient, lesson=lesson)
    turn = practice.practice_turn_request(session=practice_session, text="I have been feeling sick since yesterday.")

    patients.vital_record(patient=record, kind="bp_systolic", value=128, unit="mmHg", measured_at=now)
    medication = patients.medication_create(patient=record, name="Lisinopril", dose=10, unit="mg",
                                            schedule="once daily", start=now.date() - timedelta(days=30),
                                            prescribed_by=clinician)
    alert = record.alerts.get()
    report, _ = reports.report_request(user=clinician, patient_id=record.patient_id,
                                       date_from=now.date() - timedelta(days=7), date_to=now.date())
    about_alice = chat.session_create(owner=clinician, title="About Alice", patient_id=record.patient_id)

    return {
        "patient": Caller("patient", token_for(patient), {
            "session_id": [session.pk, practice_session.pk], "entry_id": [entry.pk], "document_id": [document.pk],
            "clip_id": [clip.pk], "turn_id": [turn.pk], "item_id": [w.pk for w in words], "lesson_id": [lesson.pk],
            "patient_id": [record.patient_id]}),
        "clinician": Caller("clinician", token_for(clinician), {
            "session_id": [about_alice.pk], "patient_id": [record.patient_id], "medication_id": [medication.pk],
            "alert_id": [alert.pk], "report_id": [report.pk], "lesson_id": [lesson.pk]}),
    }


@pytest.fixture
def api_schema(callers):
    """The served schema; among its generated path and query ids are both users' own, so each is also asked for the
    other's. Deleting is left to the stateful run, on what it created: deleting the users' records here would leave
    the operations after it nothing to find."""
    # Through WSGI: the same middleware and views daphne's ASGI handler runs, at a third of the time per request.
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=schemathesis.Config.from_dict(CONFIG))
    known = {}
    for caller in callers.values():
        for name, ids in caller.ids.items():
            known[name] = list(dict.fromkeys([*known.get(name, []), *ids]))

    def offered(context, values):
        if not values or context.operation.method.upper() == "DELETE":
            return st.just(values)
        return st.fixed_dictionaries({name: st.sampled_from([value, *known.get(name, [])])
                                      for name, value in values.items()})

    schema.hook("flatmap_path_parameters")(offered)
    schema.hook("flatmap_query")(offered)
    return schema


@schemathesis.pytest.from_fixture("api_schema").parametrize()
def test_every_operation_as_a_patient_and_as_a_clinician(case, callers):
    for caller in callers.values():
        caller.check(case)


def test_linked_operations_as_a_patient_and_as_a_clinician(api_schema, callers):
    for caller in callers.values():
        statuses = Counter()

        class Linked(api_schema.as_state_machine()):
            def get_call_kwargs(self, case, caller=caller):
                return {"headers": caller.headers(case)}

            def after_call(self, response, case, statuses=statuses):
                statuses[response.status_code] += 1

        try:
            Linked.run(settings=STATEFUL)
        except Exception as exc:
            exc.add_note(f"as the {caller.name}")
            raise
        # The links were followed from something the user created.
        assert statuses[201], f"the {caller.name}'s linked run created nothing: {dict(statuses)}"
