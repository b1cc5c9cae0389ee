import pytest

from meditrack.accounts.client_address import client_address

URL = "/api/v1/auth/token"


@pytest.mark.parametrize(("forwarded_for", "trusted", "expected"), [
    (None, 0, "10.0.0.9"),
    ("1.2.3.4", 0, "10.0.0.9"),
    ("1.2.3.4", 1, "1.2.3.4"),
    ("6.6.6.6, 1.2.3.4", 1, "1.2.3.4"),
    ("6.6.6.6, 1.2.3.4, 172.16.0.2", 2, "1.2.3.4"),
    ("1.2.3.4", 3, "1.2.3.4"),
    (" , ", 1, "10.0.0.9"),
])
def test_the_address_is_the_one_the_outermost_trusted_proxy_saw(forwarded_for, trusted, expected):
    assert client_address(remote_addr="10.0.0.9", forwarded_for=forwarded_for, trusted_proxies=trusted) == expected


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_escape_the_token_throttle(api, patient, settings):
    settings.AXES_FAILURE_LIMIT = 100  # the throttle's answer, not the lockout's
    # The measurement: once throttled, a new X-Forwarded-For per request answered 401 again.
    limit = 10
    for attempt in range(limit):
        r = api.post(URL, {"email": f"nobody{attempt}@example.com", "password": "wrong password"}, format="json",
                     HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
        assert r.status_code == 401
    for attempt in range(5):
        r = api.post(URL, {"email": f"other{attempt}@example.com", "password": "wrong password"}, format="json",
                     HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}")
        assert r.status_code == 429


@pytest.mark.django_db
def test_behind_a_configured_proxy_each_client_has_its_own_throttle(api, patient, settings):
    settings.AXES_FAILURE_LIMIT = 100
    settings.TRUSTED_PROXY_COUNT = 1
    for attempt in range(10):
        api.post(URL, {"email": f"nobody{attempt}@example.com", "password": "x"}, format="json",
                 HTTP_X_FORWARDED_FOR="203.0.113.7")
    blocked = api.post(URL, {"email": "a@example.com", "password": "x"}, format="json",
                       HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    other = api.post(URL, {"email": "a@example.com", "password": "x"}, format="json",
                     HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert (blocked.status_code, other.status_code) == (429, 401)
