"""Shared fixtures: a patient who may, another who may not, a clinician, API clients, a real worker."""

import contextlib
import os
from datetime import date
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from celery.contrib.testing.worker import start_worker
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient

from meditrack import procfile
from meditrack.accounts.models import User
from meditrack.celery import QUEUES
from meditrack.celery import app as celery_app
from meditrack.patients.models import CareAssignment, Patient

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    yield
    # The pool keeps connections open, and the test clients' executor threads keep theirs (the test
    # handlers do not close connections when a request finishes): end them all, or the test
    # database cannot be dropped.
    with django_db_blocker.unblock():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        for connection in connections.all():
            connection.close()
            connection.close_pool()


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    # Throttle counters live in the cache; every test starts with none. Tests that never
    # touch Redis-backed code pay nothing for this but one FLUSHDB.
    cache.clear()


def make_user(email, role=User.Role.PATIENT, **extra):
    return User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)


@pytest.fixture
def patient(db):
    return make_user("alice@example.com", display_name="Alice")


@pytest.fixture
def other_patient(db):
    return make_user("bob@example.com", display_name="Bob")


@pytest.fixture
def clinician(db):
    return make_user("dr.carol@example.com", role=User.Role.CLINICIAN, display_name="Dr. Carol")


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_clinician(db):
    return make_user("dr.dan@example.com", role=User.Role.CLINICIAN, display_name="Dr. Dan")


@pytest.fixture
def record(patient, clinician):
    """Alice's patient record, PAT-001, with Dr. Carol assigned to her and nobody else."""
    p = Patient.objects.create(patient_id="PAT-001", user=patient, name="Alice Example",
                               date_of_birth=date(1970, 5, 1), sex="female", conditions=["Hypertension"])
    CareAssignment.objects.create(clinician=clinician, patient=p)
    return p


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def clinician_api(clinician):
    return api_for(clinician)


@pytest.fixture
def other_clinician_api(other_clinician):
    return api_for(other_clinician)


@pytest.fixture
def other_patient_api(other_patient):
    return api_for(other_patient)


@pytest.fixture
def patient_api(patient):
    return api_for(patient)


@pytest.fixture
def worker():
    """A real Celery worker (in a thread of this process, so it sees the test database),
    consuming every queue through the real Redis broker. Tasks an earlier test queued without a worker
    are purged first: they belong to rows that no longer exist."""
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=list(QUEUES)) as w:
        yield w


@pytest.fixture
def procfile_stack(transactional_db):
    """Starts Procfile processes, by their own command lines, on the test database: the web's
    connections are named meditrack-web in pg_stat_activity, an io worker's meditrack-io, and so on.
    Returns the web's base URL once every process asked for answers."""
    port = procfile.free_port()
    database = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{connection.settings_dict['NAME']}")
    celery_app.control.purge()
    with contextlib.ExitStack() as stack:
        def start(*names: str) -> str:
            for name in names:
                url = urlunsplit(database._replace(query=f"application_name=meditrack-{name}"))
                stack.enter_context(procfile.running([name], env={"DATABASE_URL": url, "WEB_PORT": str(port),
                                                                 "LOG_LEVEL": "WARNING"}))
            for name in names:
                if name == "web":
                    procfile.wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5),
                                        what="web")
                elif name != "beat":
                    procfile.wait_until(lambda name=name: any(
                        n.startswith(f"{name}@") for reply in celery_app.control.ping(timeout=0.5) for n in reply),
                        what=f"the {name} worker")
            return f"http://127.0.0.1:{port}"

        yield start
