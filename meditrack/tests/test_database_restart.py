"""A restarted PostgreSQL costs no failed request: the pool replaces a dropped connection before
handing it out (CONN_HEALTH_CHECKS)."""

import os
import pwd
from pathlib import Path

import httpx
import pgserver
import pytest
from django.db import connection
from knox.models import AuthToken

pytestmark = pytest.mark.django_db(transaction=True)


def restart_postgres() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_directory = Path(cursor.fetchone()[0])
    connection.close()
    owner = pwd.getpwuid(os.stat(data_directory).st_uid).pw_name
    pgserver.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=data_directory, timeout=60,
                    user=owner if os.geteuid() == 0 else None)
    # This process's own pool also lends connections to the test clients' threads, which never give
    # them back: start it afresh, so the teardown is not left waiting for them.
    connection.close_pool()


def test_it_answers_the_request_after_a_postgres_restart(patient, procfile_stack):
    base_url = procfile_stack("web")
    headers = {"Authorization": f"Bearer {AuthToken.objects.create(user=patient)[1]}"}
    assert httpx.get(f"{base_url}/api/v1/users/me", headers=headers, timeout=10).status_code == 200
    restart_postgres()
    r = httpx.get(f"{base_url}/api/v1/users/me", headers=headers, timeout=10)
    assert r.status_code == 200 and r.json()["email"] == patient.email
