import pytest

URL = "/api/v1/health"
pytestmark = pytest.mark.django_db(transaction=True)


def test_it_reports_every_part_ok_with_a_live_worker(api, worker):
    r = api.get(URL)
    assert r.status_code == 200, r.json()
    checks = r.json()["checks"]
    assert set(checks) == {"database", "pgvector", "redis", "broker", "worker"}
    assert all(c["status"] == "ok" and c["latency_ms"] >= 0 for c in checks.values())
    assert checks["pgvector"]["version"].startswith("0.")


def test_it_is_503_when_no_worker_answers(api):
    r = api.get(URL)
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "error"
    assert body["checks"]["worker"] == {"status": "error", "error": "no worker answered the ping",
                                        "latency_ms": body["checks"]["worker"]["latency_ms"]}
    assert body["checks"]["database"]["status"] == "ok"


def test_it_is_503_when_redis_is_down_and_says_no_more_than_the_error_type(api, worker, settings):
    settings.REDIS_URL = "redis://:hunter2-secret@127.0.0.1:1/0"
    r = api.get(URL)
    assert r.status_code == 503
    assert r.json()["checks"]["redis"]["status"] == "error"
    assert "hunter2" not in r.content.decode()
    assert "127.0.0.1" not in r.content.decode()
