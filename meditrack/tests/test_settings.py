"""Settings come from the environment and fail loudly; logs are JSON and carry no request data."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_refuses_a_boolean_it_cannot_read():
    result = manage("check", DJANGO_DEBUG="maybe")
    assert "DJANGO_DEBUG='maybe' is not a boolean" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    DJANGO_SECRET_KEY="p" * 20 + "-production-secret-with-enough-entropy-0123456789",
                    DJANGO_HTTPS="1", DJANGO_ALLOWED_HOSTS="meditrack.example.org")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_debug_is_off_and_the_pool_is_bounded():
    assert settings.DEBUG is False
    db = settings.DATABASES["default"]
    assert db["CONN_MAX_AGE"] == 0
    assert db["OPTIONS"]["pool"]["max_size"] == settings.DB_POOL_MAX_SIZE


@pytest.mark.django_db
def test_logs_are_json_and_never_carry_the_request_body_or_query(api):
    handler = next(h for h in logging.getLogger().handlers if h.formatter.__class__.__name__ == "JsonFormatter")
    stream = io.StringIO()
    old_stream = handler.setStream(stream)
    try:
        r = api.post("/api/v1/auth/signup?note=QUERY-SECRET", {"email": "BODY-SECRET", "password": "BODY-SECRET"},
                     format="json")
    finally:
        handler.setStream(old_stream)
    assert r.status_code == 400
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    bad_request = next(line for line in lines if line["logger"] == "django.request")
    assert bad_request["level"] == "WARNING"
    assert bad_request["path"] == "/api/v1/auth/signup"
    access = next(line for line in lines if line["logger"] == "meditrack.access")
    assert (access["method"], access["path"], access["status"]) == ("POST", "/api/v1/auth/signup", 400)
    assert "SECRET" not in stream.getvalue()
