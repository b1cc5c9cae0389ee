import pytest

pytestmark = pytest.mark.django_db


def test_a_scraper_on_loopback_reads_the_metrics(client):
    r = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert r.status_code == 200
    assert b"meditrack_inference_calls" in r.content


def test_anyone_else_is_refused_unless_staff(client, patient):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    client.force_login(patient)
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    patient.is_staff = True
    patient.save()
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
