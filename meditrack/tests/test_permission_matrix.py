"""The permission matrix, generated from the URL configuration: every route and websocket that names an
object, with each method it answers, tried as the object's owner and as everyone else. Only the owner gets
in; another patient, a clinician not assigned to the patient (and, for a patient's private things, their
own clinician too) get 404, the answer for an object that does not exist; no one is asked to sign in (401
from the API, the login page for pages); and whatever a refused request tried to change is unchanged.

ROUTES says, for each route that names an object, which object each kwarg names and what each method
sends; test_the_table_covers_every_route_that_names_an_object fails when a route, or a method of one, is
added without its row here. Admin routes need no row: the admin site refuses every one of them to all but
staff, and the matrix tries each on everyone who is not.
"""

import inspect
import io
import json
import re
import wave
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from assistant import documents
from assistant import services as chat
from assistant.consumers import CLOSE_NOT_FOUND
from assistant.streams import StreamWriter, cancel_key
from journal import services as journal
from journal.selectors import voice_job_key
from meditrack.accounts.consumers import CLOSE_UNAUTHENTICATED
from meditrack.accounts.models import AccessRecord, User
from meditrack.accounts.services import invitation_create
from meditrack.asgi import application, websocket_urlpatterns
from meditrack.celery import app as celery_app
from meditrack.db import db_sync_to_async
from meditrack.patients import services as patients
from meditrack.patients.models import CareAlert, CareAssignment, Patient
from meditrack.redis_clients import sync_client
from meditrack.reports.services import report_request
from meditrack.testing.factories import model, serve, tier
from meditrack.testing.people import make_user, token_for
from meditrack.testing.websocket import ORIGIN, cookie_for
from speech import practice
from speech import services as speech
from speech.models import Lesson, LessonPhrase

# ---- the walk

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A function view with no method decorator answers every method as it answers GET: tried with GET and POST.
ANY_METHOD = ("GET", "POST")
KWARG = re.compile(r"<(?:\w+:)?(\w+)>")


def walk(patterns, prefix="", kwargs=frozenset()):
    """(route, pattern, kwargs) for every URLPattern under these: the route with its resolvers' prefixes, and
    the names its converters or regex groups capture, its resolvers' too."""
    for p in patterns:
        names = kwargs | set(p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern), names)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p, names


def routes_naming_objects(patterns) -> dict[str, URLPattern]:
    return {route: p for route, p, kwargs in walk(patterns) if kwargs}


def methods_of(callback) -> tuple[str, ...]:
    """The methods a view answers: a DRF or class-based view's handlers, else its require_http_methods list."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return tuple(v for v in VERBS if hasattr(view_class, v.lower()))
    view = callback
    while view is not None:
        allowed = inspect.getclosurevars(view).nonlocals.get("request_method_list")
        if allowed is not None:
            return tuple(v for v in VERBS if v in allowed)
        view = getattr(view, "__wrapped__", None)
    return ANY_METHOD


HTTP_ROUTES = routes_naming_objects(get_resolver().url_patterns)
WEBSOCKET_ROUTES = routes_naming_objects(websocket_urlpatterns)

# ---- the objects


@dataclass
class World:
    """Alice's things; Dr. Carol is her clinician. Bob (a patient of Dr. Dan) and Dr. Dan own nothing of hers.
    Erin is invited to a record of Dr. Carol's not linked to any account yet. Each of them has a browser
    signed in and an API client with a token, made with the world so that they last as long as it does."""

    people: dict
    record: Patient
    unlinked: Patient
    objects: dict = field(default_factory=dict)
    invitation_token: str = ""
    voice_job: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["objects"][name]
        except KeyError:
            raise AttributeError(name) from None

    def client(self, user_key: str | None, *, api: bool) -> Client:
        return self.clients[user_key, api] if user_key else Client()

    def voice_job_restore(self) -> None:
        """The job's status lives in the cache, which every test starts without."""
        cache.set(voice_job_key(self.voice_job["job_id"]), self.voice_job, journal.VOICE_TTL)


def wav(seconds=1.0, rate=16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


def world_build() -> World:
    # Models for the work the services queue: never sent where the test's transaction is rolled back, purged
    # where it is committed.
    serve(tier(), model("matrix-chat", queue="io"),
          model("matrix-asr", task="asr", backend="local", model_id="pkg:whisper-tiny.en", queue="gpu"),
          model("matrix-embedding", task="embedding", backend="local", model_id="pkg:all-minilm-l6-v2", queue="cpu"))
    alice, bob = make_user("alice@example.com", display_name="Alice"), make_user("bob@example.com")
    carol = make_user("dr.carol@example.com", role=User.Role.CLINICIAN, display_name="Dr. Carol")
    dan = make_user("dr.dan@example.com", role=User.Role.CLINICIAN)
    record = Patient.objects.create(patient_id="PAT-001", user=alice, name="Alice Example")
    CareAssignment.objects.create(clinician=carol, patient=record)
    CareAssignment.objects.create(clinician=dan, patient=Patient.objects.create(patient_id="PAT-002", user=bob,
                                                                                name="Bob Example"))
    unlinked = Patient.objects.create(patient_id="PAT-003", name="Erin Example")
    CareAssignment.objects.create(clinician=carol, patient=unlinked)
    w = World(people={"alice": alice, "bob": bob, "carol": carol, "dan": dan,
                      "erin": make_user("erin@example.com", display_name="Erin")}, record=record, unlinked=unlinked)
    today = timezone.localdate()
    w.objects["medication"] = patients.medication_create(
        patient=record, name="Lisinopril", dose=10, unit="mg", schedule="once daily", start=today - timedelta(days=60),
        prescribed_by=carol)
    w.objects["alert"] = CareAlert.objects.create(patient=record, kind=CareAlert.Kind.CRISIS_LANGUAGE)
    w.objects["report"] = report_request(user=carol, patient_id=record.patient_id,
                                         date_from=today - timedelta(days=30), date_to=today - timedelta(days=1))[0]
    w.objects["entry"] = journal.entry_create(owner=alice, text="Slept well and walked by the river.", mood=7,
                                              shared_with_care_team=True)
    w.voice_job = journal.voice_entry_submit(owner=alice, audio=wav())
    w.objects["chat"] = chat.session_create(owner=alice, title="Blood pressure")
    w.objects["reply"] = chat.message_send(session=w.chat, content="How is my blood pressure?")  # being written
    notes = b"My readings after the new dose."
    w.objects["document"] = documents.document_create(owner=alice, filename="notes.txt", size=len(notes),
                                                      read=io.BytesIO(notes).read, title="Notes")
    w.objects["clip"] = speech.clip_save(owner=alice, data=wav())
    w.objects["lesson"] = Lesson.objects.create(title="At the pharmacy (matrix)")
    LessonPhrase.objects.create(lesson=w.lesson, text="I need my prescription refilled.")
    w.objects["word"] = practice.vocabulary_add(owner=alice, term="refill", meaning="more of a medicine")[0]
    w.objects["practice"] = practice.practice_session_create(owner=alice)[0]
    w.objects["turn"] = practice.practice_turn_submit(session=w.practice, text="I feel better today.")  # answering
    w.objects["bob_practice"] = practice.practice_session_create(owner=bob)[0]
    w.invitation_token = invitation_create(clinician=carol, patient_id=unlinked.patient_id)[0]
    for key, user in w.people.items():
        w.clients[key, True] = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        w.clients[key, False] = Client()
        w.clients[key, False].force_login(user)
    return w


@pytest.fixture(scope="class")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One world for a class of tests that each roll back to it (as Django's TestCase.setUpTestData): built
    inside a transaction that is rolled back once they are done."""
    with django_db_blocker.unblock(), override_settings(
            MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        with transaction.atomic():
            yield world_build()
            transaction.set_rollback(True)


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """A world of its own, committed, for views and sockets that read the database on threads of their own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield world_build()
    celery_app.control.purge()  # what the services queued once committed: no worker here takes it


# ---- the table

PATIENT, CLINICIAN = "patient", "clinician"
BOTH = (PATIENT, CLINICIAN)


@dataclass(frozen=True)
class Call:
    """One method of a route: the body it sends, and what its owner gets."""

    owner: int
    body: object = None  # a dict, or World -> a dict
    owners: tuple[str, ...] = (PATIENT,)  # on a patient's record: who of the patient and their clinician
    # World -> (who, kwargs): someone naming an object of their own beside one of the owner's (in the path or
    # the body), who must be refused as well.
    mixed: object = None


@dataclass(frozen=True)
class Route:
    """personal: the owner's alone (their own clinician is refused too); record: a patient's record, reached by
    the patient and their clinicians (selectors.patient_get); shared: everyone signed in; token: the link is
    the credential, and the others try a made-up one."""

    kind: str
    kwargs: object  # World -> the URL's kwargs
    calls: dict


NOW = timezone.now().replace(microsecond=0).isoformat()
VITAL = {"kind": "heart_rate", "value": 70, "unit": "bpm", "measured_at": NOW}
MEDICATION = {"name": "Metformin", "dose": 500, "unit": "mg", "schedule": "twice daily", "start": "2024-01-01"}
BUNDLE = {"resourceType": "Bundle", "type": "collection", "entry": []}
PASSWORDS = {"new_password1": "another horse battery staple", "new_password2": "another horse battery staple"}


def dans_patient_alices_medication(w):
    return "dan", {"patient_id": "PAT-002", "medication_id": w.medication.pk}


def dans_patient_alices_alert(w):
    return "dan", {"patient_id": "PAT-002", "alert_id": w.alert.pk}


def record(calls):
    return Route("record", lambda w: {"patient_id": w.record.patient_id}, calls)


def personal(kwargs, calls):
    return Route("personal", kwargs, calls)


ROUTES = {
    # API: patients' records (clinicians manage; the patient reads and records readings and intakes)
    "api/v1/patients/<str:patient_id>": record({
        "GET": Call(200, owners=BOTH),
        "PATCH": Call(200, {"name": "Renamed"}, owners=(CLINICIAN,)),
        "DELETE": Call(204, owners=(CLINICIAN,))}),
    "api/v1/patients/<str:patient_id>/vitals": record({
        "GET": Call(200, owners=BOTH), "POST": Call(201, VITAL, owners=BOTH)}),
    "api/v1/patients/<str:patient_id>/medications": record({
        "GET": Call(200, owners=BOTH), "POST": Call(201, MEDICATION, owners=(CLINICIAN,))}),
    "api/v1/patients/<str:patient_id>/medications/<int:medication_id>": Route(
        "record", lambda w: {"patient_id": w.record.patient_id, "medication_id": w.medication.pk}, {
            "GET": Call(200, owners=BOTH, mixed=dans_patient_alices_medication),
            "PATCH": Call(200, {"dose": 20}, owners=(CLINICIAN,), mixed=dans_patient_alices_medication)}),
    "api/v1/patients/<str:patient_id>/intakes": record({
        "GET": Call(200, owners=BOTH),
        # Dr. Dan records an intake of Alice's medication on his own patient.
        "POST": Call(201, lambda w: {"medication": w.medication.pk, "scheduled_at": NOW, "taken_at": NOW},
                     owners=BOTH, mixed=lambda w: ("dan", {"patient_id": "PAT-002"}))}),
    "api/v1/patients/<str:patient_id>/alerts": record({"GET": Call(200, owners=(CLINICIAN,))}),
    "api/v1/patients/<str:patient_id>/alerts/<int:alert_id>/seen": Route(
        "record", lambda w: {"patient_id": w.record.patient_id, "alert_id": w.alert.pk},
        {"POST": Call(200, owners=(CLINICIAN,), mixed=dans_patient_alices_alert)}),
    "api/v1/patients/<str:patient_id>/fhir": record({
        "GET": Call(200, owners=BOTH), "POST": Call(200, BUNDLE, owners=(CLINICIAN,))}),
    # Alice's record is linked already: her clinician reaches it and is told so.
    "api/v1/patients/<str:patient_id>/invitations": record({"POST": Call(409, owners=(CLINICIAN,))}),
    "api/v1/reports/<int:report_id>": Route("record", lambda w: {"report_id": w.report.pk},
                                            {"GET": Call(200, owners=BOTH)}),
    # API: the owner's own things
    "api/v1/chat/sessions/<int:session_id>": personal(lambda w: {"session_id": w.chat.pk}, {
        "GET": Call(200), "PATCH": Call(200, {"title": "Renamed"}), "DELETE": Call(204)}),
    # A reply is being written: the owner's new message and regeneration wait for it (409).
    "api/v1/chat/sessions/<int:session_id>/messages": personal(lambda w: {"session_id": w.chat.pk}, {
        "GET": Call(200), "POST": Call(409, {"content": "And my pulse?"})}),
    "api/v1/chat/sessions/<int:session_id>/regenerate": personal(lambda w: {"session_id": w.chat.pk},
                                                                 {"POST": Call(409)}),
    "api/v1/chat/sessions/<int:session_id>/reset": personal(lambda w: {"session_id": w.chat.pk},
                                                            {"POST": Call(200)}),
    "api/v1/chat/sessions/<int:session_id>/stop": personal(lambda w: {"session_id": w.chat.pk},
                                                           {"POST": Call(202)}),
    "api/v1/documents/<int:document_id>": personal(lambda w: {"document_id": w.document.pk}, {
        "GET": Call(200), "DELETE": Call(204)}),
    "api/v1/journal/entries/<int:entry_id>": personal(lambda w: {"entry_id": w.entry.pk}, {
        "GET": Call(200), "PATCH": Call(200, {"mood": 3}), "DELETE": Call(204)}),
    "api/v1/journal/entries/voice/<str:job_id>": personal(lambda w: {"job_id": w.voice_job["job_id"]},
                                                         {"GET": Call(200)}),
    "api/v1/speech/clips/<int:clip_id>/audio": personal(lambda w: {"clip_id": w.clip.pk}, {"GET": Call(200)}),
    "api/v1/vocabulary/<int:item_id>/review": personal(lambda w: {"item_id": w.word.pk},
                                                       {"POST": Call(200, {"grade": 4})}),
    "api/v1/practice/sessions/<int:session_id>": personal(lambda w: {"session_id": w.practice.pk},
                                                          {"GET": Call(200)}),
    # The turn before is still being answered: the owner is told to wait (409).
    "api/v1/practice/sessions/<int:session_id>/turns": personal(lambda w: {"session_id": w.practice.pk},
                                                                {"POST": Call(409, {"text": "Thank you."})}),
    "api/v1/practice/sessions/<int:session_id>/turns/<int:turn_id>": Route(
        "personal", lambda w: {"session_id": w.practice.pk, "turn_id": w.turn.pk},
        {"GET": Call(200, mixed=lambda w: ("bob", {"session_id": w.bob_practice.pk, "turn_id": w.turn.pk}))}),
    "api/v1/lessons/<int:lesson_id>": Route("shared", lambda w: {"lesson_id": w.lesson.pk}, {"GET": Call(200)}),
    # Pages
    "patients/<str:patient_id>/": record({"GET": Call(200, owners=BOTH), "POST": Call(200, owners=BOTH)}),
    "patients/<str:patient_id>/alerts/<int:alert_id>/seen": Route(
        "record", lambda w: {"patient_id": w.record.patient_id, "alert_id": w.alert.pk},
        {"POST": Call(302, owners=(CLINICIAN,), mixed=dans_patient_alices_alert)}),
    "reports/<int:report_id>/": Route("record", lambda w: {"report_id": w.report.pk},
                                      {"GET": Call(200, owners=BOTH), "POST": Call(200, owners=BOTH)}),
    "assistant/<int:session_id>/": personal(lambda w: {"session_id": w.chat.pk},
                                            {"GET": Call(200), "POST": Call(200)}),
    "assistant/documents/<int:document_id>/": personal(lambda w: {"document_id": w.document.pk}, {"GET": Call(200)}),
    "assistant/documents/<int:document_id>/delete/": personal(lambda w: {"document_id": w.document.pk},
                                                              {"GET": Call(200), "POST": Call(302)}),
    "journal/<int:entry_id>/": personal(lambda w: {"entry_id": w.entry.pk}, {"GET": Call(200)}),
    # An empty form: the owner's page answers with its errors.
    "journal/<int:entry_id>/edit/": personal(lambda w: {"entry_id": w.entry.pk},
                                             {"GET": Call(200), "POST": Call(200, {})}),
    "journal/<int:entry_id>/delete/": personal(lambda w: {"entry_id": w.entry.pk},
                                               {"GET": Call(200), "POST": Call(302)}),
    # The link is the credential. Erin's invitation links the record to her on POST; its page shows nothing of
    # the record to anyone. Alice's emailed reset link leads to the set-password form.
    "invitations/<str:token>/": Route("token", lambda w: {"token": w.invitation_token},
                                      {"GET": Call(200), "POST": Call(302)}),
    "password/reset/<uidb64>/<token>/": Route(
        "token", lambda w: {"uidb64": urlsafe_base64_encode(force_bytes(w.people["alice"].pk)),
                            "token": default_token_generator.make_token(w.people["alice"])},
        {"GET": Call(302), "POST": Call(302, PASSWORDS), "PUT": Call(302, PASSWORDS)}),
}

NOT_OBJECTS = {
    "api/v1/journal/insights/<str:kind>": "kind picks one of the caller's own insights",
}

WEBSOCKETS = {
    # GET: the handshake.
    "ws/chat/<int:session_id>/": personal(lambda w: {"session_id": w.chat.pk}, {"GET": Call(200)}),
}

# ---- the cells

OTHERS = ("other_patient", "unassigned_clinician")
USERS = {"owner:patient": "alice", "owner:clinician": "carol", "owner": "alice", "own_patient": "alice",
         "assigned_clinician": "carol", "other_patient": "bob", "unassigned_clinician": "dan"}
# Nobody who is not staff reaches the admin: a patient, a clinician and no one.
ADMIN_PERSONAS = ("patient", "clinician", "anonymous")


def personas(route: Route, call: Call) -> tuple[str, ...]:
    return _personas(route, call) + (("mixed_ids",) if call.mixed else ())


def _personas(route: Route, call: Call) -> tuple[str, ...]:
    if route.kind == "record":
        owners = tuple(f"owner:{who}" for who in call.owners)
        # The patient, on their own record, where only their clinicians may act: refused, 403.
        return owners + (() if PATIENT in call.owners else ("own_patient",)) + OTHERS + ("anonymous",)
    if route.kind == "personal":
        return ("owner", "assigned_clinician") + OTHERS + ("anonymous",)
    return ("owner",) + OTHERS + ("anonymous",)


def is_admin(route: str) -> bool:
    return route.startswith("admin/")


def on_threads(callback) -> bool:
    """An async view does its database work on threads of its own: it sees only committed rows."""
    return inspect.iscoroutinefunction(callback)


def cells(*, committed: bool):
    for route, pattern in HTTP_ROUTES.items():
        if is_admin(route) or route not in ROUTES or on_threads(pattern.callback) != committed:
            continue
        for method, call in ROUTES[route].calls.items():
            for persona in personas(ROUTES[route], call):
                yield pytest.param(route, method, persona, id=f"{route} {method} {persona}")


def admin_cells():
    for route in HTTP_ROUTES:
        if is_admin(route):
            for method in ANY_METHOD:
                for persona in ADMIN_PERSONAS:
                    yield pytest.param(route, method, persona, id=f"{route} {method} {persona}")


def url_for(route: str, kwargs: dict) -> str:
    return "/" + KWARG.sub(lambda m: str(kwargs[m[1]]), route)


def body_for(call: Call, w: World):
    return call.body(w) if callable(call.body) else call.body


def send(client: Client, method: str, url: str, body, *, api: bool):
    if method == "GET":
        return client.get(url)
    if api:
        return client.generic(method, url, json.dumps(body) if body is not None else "",
                              content_type="application/json")
    return client.generic(method, url, urlencode(body or {}), content_type="application/x-www-form-urlencoded")


def our_tables() -> list[str]:
    """Every table of our apps, but the access audit's (it records refused requests too)."""
    return [m._meta.db_table for m in apps.get_models()
            if m.__module__.split(".")[0] in ("assistant", "journal", "speech", "meditrack") and m is not AccessRecord]


ROWS_SQL = " UNION ALL ".join(
    f"SELECT '{table}', (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t)"
    for table in our_tables())


def rows() -> dict:
    """A digest of every row of our tables, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(ROWS_SQL)
        return dict(cursor.fetchall())


def snapshot(w: World) -> dict:
    """The rows, and what is kept outside the database: the recording's file, the voice job's status and the
    chat's stop flag."""
    return {**rows(), "clip file": default_storage.exists(w.clip.file.name),
            "voice job": repr(cache.get(voice_job_key(w.voice_job["job_id"]))),
            "stop flag": sync_client().exists(cancel_key(w.reply.pk))}


def made_up(kwargs: dict) -> dict:
    """The same link with a token nobody was given."""
    return {**kwargs, "token": "x" * len(kwargs["token"])}


def check_refused(r, *, persona: str, api: bool, admin: bool = False):
    if persona == "anonymous":
        if api:
            assert r.status_code == 401 and r.json()["error"]["code"] == "not_authenticated"
        else:
            login = "/admin/login/" if admin else "/login/"
            assert r.status_code == 302 and r["Location"].startswith(f"{login}?next="), r.status_code
    elif admin:  # signed in, not staff: the admin's own login page
        assert r.status_code == 302 and r["Location"].startswith("/admin/login/?next="), r.status_code
    elif persona == "own_patient":
        assert r.status_code == 403
    else:
        assert r.status_code == 404, r.status_code
        if api:
            assert r.json()["error"]["code"] == "not_found"


def try_cell(route: str, method: str, persona: str, w: World):
    w.voice_job_restore()
    spec, api = ROUTES[route], route.startswith("api/")
    if spec.kind == "token":
        return try_token(route, method, persona, w)
    call, user_key, kwargs = spec.calls[method], USERS.get(persona), spec.kwargs(w)
    if persona == "mixed_ids":
        user_key, kwargs = call.mixed(w)
    client = w.client(user_key, api=api)
    before = snapshot(w) if method != "GET" else None
    r = send(client, method, url_for(route, kwargs), body_for(call, w), api=api)
    if persona.startswith("owner") or (spec.kind == "shared" and persona != "anonymous"):
        assert r.status_code == call.owner, (r.status_code, getattr(r, "content", b"")[:300])
        return
    check_refused(r, persona=persona, api=api)
    if before is not None:
        assert snapshot(w) == before


def try_token(route: str, method: str, persona: str, w: World):
    """The holder of the link gets in; the others, with a made-up link, are refused and change nothing."""
    spec, kwargs = ROUTES[route], ROUTES[route].kwargs(w)
    reset = route.startswith("password/")
    holder = None if reset else "erin"  # Alice's reset link is used signed out
    user = {"owner": holder, "other_patient": "bob", "unassigned_clinician": "dan", "anonymous": None}[persona]
    # Anonymous tries the real invitation: it still has to sign in first.
    real = persona == "owner" or (persona == "anonymous" and not reset)
    client = w.client(user, api=False)
    before = snapshot(w)
    r = send(client, method, url_for(route, kwargs if real else made_up(kwargs)), body_for(spec.calls[method], w),
             api=False)
    page = r.content.decode() if r.status_code == 200 else ""
    assert w.unlinked.name not in page and w.unlinked.patient_id not in page
    if persona == "owner":
        assert r.status_code == spec.calls[method].owner
        if reset:
            assert r["Location"].endswith("/set-password/")
        elif method == "POST":
            assert Patient.objects.get(pk=w.unlinked.pk).user == w.people["erin"]
        return
    if reset:  # Django's answer to a link it did not sign: the page says it is invalid, and has no form
        assert r.status_code == 200 and r.context["validlink"] is False
    elif persona == "anonymous":
        check_refused(r, persona=persona, api=False)
    elif method == "POST":
        assert r.status_code == 410
    else:
        assert r.status_code == 200  # the page shows nothing of any record before the invitation is accepted
    assert snapshot(w) == before


@pytest.mark.django_db
class TestTheMatrix:
    @pytest.mark.parametrize(("route", "method", "persona"), list(cells(committed=False)))
    def test_only_the_owner_reaches_the_object(self, route, method, persona, shared_world):
        try_cell(route, method, persona, shared_world)

    @pytest.mark.parametrize(("route", "method", "persona"), list(admin_cells()))
    def test_nobody_but_staff_reaches_an_admin_object(self, route, method, persona, shared_world):
        """The admin refuses before it looks the object up: the record's pk stands for any object."""
        client = shared_world.client({"patient": "alice", "clinician": "carol"}.get(persona), api=False)
        before = rows() if method != "GET" else None
        kwargs = {name: shared_world.record.pk for name in KWARG.findall(route)}
        r = send(client, method, url_for(route, kwargs), {}, api=False)
        check_refused(r, persona=persona, api=False, admin=True)
        if before is not None:
            assert rows() == before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("route", "method", "persona"), list(cells(committed=True)))
def test_only_the_owner_reaches_the_object_through_an_async_view(route, method, persona, world):
    try_cell(route, method, persona, world)


# ---- the table against the walk


def test_the_table_covers_every_route_that_names_an_object():
    found = {route for route in HTTP_ROUTES if not is_admin(route)}
    assert found == set(ROUTES) | set(NOT_OBJECTS), "each route naming an object needs a row in ROUTES"
    for route in ROUTES:
        assert set(ROUTES[route].calls) == set(methods_of(HTTP_ROUTES[route].callback)), route
    assert set(WEBSOCKET_ROUTES) == set(WEBSOCKETS)


def test_the_walk_finds_the_api_the_pages_the_admin_and_the_sockets():
    assert "api/v1/journal/entries/<int:entry_id>" in HTTP_ROUTES
    assert "journal/<int:entry_id>/" in HTTP_ROUTES
    assert "admin/journal/journalentry/<path:object_id>/change/" in HTTP_ROUTES
    assert "ws/chat/<int:session_id>/" in WEBSOCKET_ROUTES
    assert "ws/notifications/" not in WEBSOCKET_ROUTES  # names no object: each user's own events


def test_it_reads_the_methods_each_view_answers():
    assert methods_of(HTTP_ROUTES["api/v1/journal/entries/<int:entry_id>"].callback) == ("GET", "PATCH", "DELETE")
    assert methods_of(HTTP_ROUTES["journal/<int:entry_id>/delete/"].callback) == ("GET", "POST")
    assert methods_of(HTTP_ROUTES["assistant/documents/<int:document_id>/"].callback) == ("GET",)
    assert methods_of(HTTP_ROUTES["patients/<str:patient_id>/alerts/<int:alert_id>/seen"].callback) == ("POST",)


# ---- websockets


async def open_socket(route: str, w: World, user_key: str | None, kwargs: dict):
    user = w.people.get(user_key)
    headers = [ORIGIN] + ([(b"cookie", await cookie_for(user))] if user is not None else [])
    ws = WebsocketCommunicator(application, url_for(route, kwargs), headers=headers)
    connected, _ = await ws.connect(timeout=5)
    assert connected
    return ws


def websocket_cells():
    for route, spec in WEBSOCKETS.items():
        for persona in personas(spec, spec.calls["GET"]):
            yield pytest.param(route, persona, id=f"{route} {persona}")


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("route", "persona"), list(websocket_cells()))
async def test_only_the_owner_opens_the_chat_socket(route, persona, world):
    """The owner's socket relays the session's reply; everyone else's is closed before it reads anything."""
    StreamWriter(sync_client(), world.reply.pk).add("Your readings")
    ws = await open_socket(route, world, USERS.get(persona), WEBSOCKETS[route].kwargs(world))
    if persona == "owner":
        await ws.send_json_to({"type": "resume", "message_id": world.reply.pk, "after": -1})
        assert await ws.receive_json_from(timeout=5) == {"type": "token", "message_id": world.reply.pk,
                                                         "index": 0, "text": "Your readings"}
    else:
        assert await ws.receive_output(timeout=5) == {
            "type": "websocket.close", "code": CLOSE_UNAUTHENTICATED if persona == "anonymous" else CLOSE_NOT_FOUND}
    await ws.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
async def test_a_chat_socket_never_relays_another_users_reply(world):
    """Alice's socket, on her own session, asks for Bob's reply by its id: refused, and what it relays next is
    her own reply, none of Bob's."""
    bob_reply = await reply_of(world.people["bob"])
    StreamWriter(sync_client(), bob_reply).add("Bob's private answer")
    StreamWriter(sync_client(), world.reply.pk).add("Your readings")
    ws = await open_socket("ws/chat/<int:session_id>/", world, "alice", {"session_id": world.chat.pk})
    await ws.send_json_to({"type": "resume", "message_id": bob_reply, "after": -1})
    assert await ws.receive_json_from(timeout=5) == {"type": "error", "code": "not_found",
                                                     "detail": "No such message in this session."}
    await ws.send_json_to({"type": "resume", "message_id": world.reply.pk, "after": -1})
    assert (await ws.receive_json_from(timeout=5))["text"] == "Your readings"
    await ws.disconnect()


@db_sync_to_async
def reply_of(owner) -> int:
    return chat.message_send(session=chat.session_create(owner=owner), content="Am I well?").pk
