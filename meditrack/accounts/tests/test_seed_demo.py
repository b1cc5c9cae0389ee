import pytest
from django.core.management import CommandError, call_command

from assistant.tasks import reindex_owner
from meditrack.accounts.models import User
from meditrack.celery import QUEUES
from meditrack.demo.people import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug(settings):
    settings.DEBUG = True  # where the demo is meant to run


def test_with_debug_off_it_refuses_unless_told_to(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert not User.objects.exists()
    call_command("seed_demo", without_debug=True)
    assert User.objects.filter(role="admin").count() == 1


def test_it_creates_the_demo_accounts_once(api):
    call_command("seed_demo")
    call_command("seed_demo")
    assert User.objects.filter(role="admin", is_superuser=True).count() == 1
    assert User.objects.filter(role="clinician").count() == 2
    assert User.objects.filter(role="patient").count() == 6
    for user in User.objects.filter(role="patient"):
        assert user.patient_record.vitals.exists()
        assert user.journal_entries.count() >= 100
    r = api.post("/api/v1/auth/token", {"email": "maria.garcia@meditrack.local", "password": DEMO_PASSWORD},
                 format="json")
    assert r.status_code == 200


def test_it_leaves_a_changed_password_alone(api):
    call_command("seed_demo")
    user = User.objects.get(email="james.chen@meditrack.local")
    user.set_password("my own new password")
    user.save()
    call_command("seed_demo")
    user.refresh_from_db()
    assert user.check_password("my own new password")


def test_it_queues_the_demo_patients_sources_for_the_assistant_to_index(queued_tasks,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    indexed = [task.args[0] for queue in QUEUES for task in queued_tasks(queue) if task.name == reindex_owner.name]
    assert sorted(indexed) == sorted(User.objects.filter(role="patient").values_list("pk", flat=True))
